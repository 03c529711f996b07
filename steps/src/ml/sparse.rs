//! Compressed sparse rows: the TF-IDF matrix (about 20–200 non-zeros per
//! release note out of tens of thousands of features).

/// A sparse matrix in CSR form.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Csr {
    /// Number of columns.
    pub cols: usize,
    /// Row `i` spans `indices[indptr[i]..indptr[i + 1]]`.
    pub indptr: Vec<usize>,
    /// Column of each stored value, increasing within a row.
    pub indices: Vec<u32>,
    /// The values.
    pub values: Vec<f64>,
}

impl Csr {
    /// An empty matrix with `cols` columns.
    pub fn new(cols: usize) -> Self {
        Self {
            cols,
            indptr: vec![0],
            indices: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.indptr.len() - 1
    }

    /// Appends a row from (column, value) pairs sorted by column.
    pub fn push_row(&mut self, entries: impl IntoIterator<Item = (u32, f64)>) {
        for (c, v) in entries {
            self.indices.push(c);
            self.values.push(v);
        }
        self.indptr.push(self.indices.len());
    }

    /// Row `i` as (columns, values).
    pub fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let (a, b) = (self.indptr[i], self.indptr[i + 1]);
        (&self.indices[a..b], &self.values[a..b])
    }

    /// The rows at `rows`, in that order.
    pub fn select_rows(&self, rows: &[usize]) -> Csr {
        let mut out = Csr::new(self.cols);
        for &r in rows {
            let (c, v) = self.row(r);
            out.push_row(c.iter().copied().zip(v.iter().copied()));
        }
        out
    }

    /// Side-by-side concatenation `[self | other]` (same number of rows).
    pub fn hstack(&self, other: &Csr) -> Csr {
        let mut out = Csr::new(self.cols + other.cols);
        let shift = self.cols as u32;
        for i in 0..self.rows().min(other.rows()) {
            let (ca, va) = self.row(i);
            let (cb, vb) = other.row(i);
            let left = ca.iter().copied().zip(va.iter().copied());
            let right = cb.iter().map(|c| c + shift).zip(vb.iter().copied());
            out.push_row(left.chain(right));
        }
        out
    }

    /// Keeps the columns in `keep` (sorted old indices), renumbered 0…
    pub fn select_columns(&self, keep: &[u32]) -> Csr {
        let mut map = vec![u32::MAX; self.cols];
        for (new, &old) in keep.iter().enumerate() {
            if let Some(slot) = map.get_mut(old as usize) {
                *slot = new as u32;
            }
        }
        let mut out = Csr::new(keep.len());
        for i in 0..self.rows() {
            let (c, v) = self.row(i);
            out.push_row(c.iter().zip(v).filter_map(|(&c, &v)| {
                let m = map[c as usize];
                (m != u32::MAX).then_some((m, v))
            }));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stacks_selects_and_renumbers() {
        let mut a = Csr::new(3);
        a.push_row([(0, 1.0), (2, 2.0)]);
        a.push_row([(1, 3.0)]);
        let mut b = Csr::new(2);
        b.push_row([(1, 4.0)]);
        b.push_row([]);
        let s = a.hstack(&b);
        assert_eq!(s.cols, 5);
        assert_eq!(s.row(0), (&[0u32, 2, 4][..], &[1.0, 2.0, 4.0][..]));
        let k = s.select_columns(&[2, 4]);
        assert_eq!(k.row(0), (&[0u32, 1][..], &[2.0, 4.0][..]));
        assert_eq!(k.row(1).0.len(), 0);
        assert_eq!(s.select_rows(&[1]).row(0), (&[1u32][..], &[3.0][..]));
    }
}
