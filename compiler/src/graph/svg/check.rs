//! Self-checks of a [`GraphLayout`], for tests (ours, a report's, a user's).

use super::geometry::GraphLayout;

/// A box in the drawing: its name for messages, then x, y, width, height.
type Named = (String, [f64; 4]);

fn overlap(a: &[f64; 4], b: &[f64; 4]) -> bool {
    a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3]
}

fn on_boundary(p: (f64, f64), r: &[f64; 4]) -> bool {
    const EPS: f64 = 0.01;
    let [x, y, w, h] = *r;
    let within_x = p.0 >= x - EPS && p.0 <= x + w + EPS;
    let within_y = p.1 >= y - EPS && p.1 <= y + h + EPS;
    let on_x = (p.0 - x).abs() <= EPS || (p.0 - x - w).abs() <= EPS;
    let on_y = (p.1 - y).abs() <= EPS || (p.1 - y - h).abs() <= EPS;
    (on_x && within_y) || (on_y && within_x)
}

impl GraphLayout {
    fn boxes(&self) -> Vec<Named> {
        let nodes = self
            .nodes
            .iter()
            .map(|n| (n.task.clone(), [n.x, n.y, n.width, n.height]));
        let labels = self.labels.iter().map(|l| {
            (
                format!("label `{}`", l.lines.join(" ")),
                [l.x, l.y, l.width, l.height],
            )
        });
        nodes.chain(labels).collect()
    }

    /// Every pair of boxes (task boxes, exit handler boxes, edge labels)
    /// that overlap, by name; empty for every layout kpipe makes.
    pub fn overlaps(&self) -> Vec<(String, String)> {
        let mut boxes = self.boxes();
        boxes.sort_by(|a, b| a.1[0].total_cmp(&b.1[0]));
        let mut found = Vec::new();
        for (k, a) in boxes.iter().enumerate() {
            for b in &boxes[k + 1..] {
                if b.1[0] >= a.1[0] + a.1[2] {
                    break;
                }
                if overlap(&a.1, &b.1) {
                    found.push((a.0.clone(), b.0.clone()));
                }
            }
        }
        found
    }

    /// Every edge (`from`, `to`) whose path does not start on its source's
    /// box or end on its target's; empty for every layout kpipe makes.
    pub fn detached_edges(&self) -> Vec<(String, String)> {
        let find = |name: &str| {
            self.nodes
                .iter()
                .find(|n| n.task == name)
                .map(|n| [n.x, n.y, n.width, n.height])
        };
        self.edges
            .iter()
            .filter(|e| {
                let ends = (
                    e.points.first(),
                    e.points.last(),
                    find(&e.from),
                    find(&e.to),
                );
                !matches!(ends, (Some(&a), Some(&b), Some(f), Some(t))
                    if on_boundary(a, &f) && on_boundary(b, &t))
            })
            .map(|e| (e.from.clone(), e.to.clone()))
            .collect()
    }

    /// Every (edge, task box) where the edge passes through the inside of
    /// a box other than its own two; empty for every layout kpipe makes.
    /// Conservative: each piece of a path is taken as the rectangle its two
    /// points span (a curve between them stays inside it).
    pub fn edges_through_boxes(&self) -> Vec<(String, String)> {
        const EPS: f64 = 0.5;
        let mut boxes: Vec<(&str, [f64; 4])> = self
            .nodes
            .iter()
            .map(|n| (n.task.as_str(), [n.x, n.y, n.width, n.height]))
            .collect();
        boxes.sort_by(|a, b| a.1[0].total_cmp(&b.1[0]));
        let widest = boxes.iter().map(|b| b.1[2]).fold(0.0, f64::max);
        let mut found = Vec::new();
        for e in &self.edges {
            let hit = e.points.windows(2).find_map(|w| {
                let (x0, x1) = (w[0].0.min(w[1].0), w[0].0.max(w[1].0));
                let (y0, y1) = (w[0].1.min(w[1].1), w[0].1.max(w[1].1));
                // boxes starting between x0 - widest and x1
                let first = boxes.partition_point(|b| b.1[0] < x0 - widest - 1.0);
                boxes[first..]
                    .iter()
                    .take_while(|b| b.1[0] <= x1)
                    .find(|(name, [x, y, w, h])| {
                        *name != e.from
                            && *name != e.to
                            && x0 < x + w - EPS
                            && x1 > x + EPS
                            && y0 < y + h - EPS
                            && y1 > y + EPS
                    })
                    .map(|b| b.0.to_owned())
            });
            if let Some(name) = hit {
                found.push((format!("{} → {}", e.from, e.to), name));
            }
        }
        found
    }
}
