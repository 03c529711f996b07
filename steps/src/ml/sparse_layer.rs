//! The sparse first layer and its lazy Adam.
//!
//! burn 0.21 has no sparse tensors or sparse gradients, and the first layer
//! (tens of thousands of inputs, ~100–300 non-zeros per note) dominates both
//! memory and time when it is dense: a dense batch is 1 GB and the dense Adam
//! update of the first layer's millions of weights runs every step. So this
//! layer is kpipe's own: its forward pass multiplies only the non-zero
//! inputs, its gradient touches only their weight rows, and a lazy Adam
//! updates only those rows (TensorFlow's LazyAdam). Its output enters burn
//! as a leaf tensor whose gradient comes back to [`SparseLayer::step`].
//! `cargo bench -p kpipe-steps --bench first_layer` measures this against
//! burn's dense layer.

use rand::Rng;
use rand::rngs::StdRng;

use super::sparse::Csr;
use super::weights::Dense;

const BETA1: f32 = 0.9;
const BETA2: f32 = 0.999;
/// Adam's epsilon (Keras' default), shared with the head's optimiser.
pub const EPSILON: f32 = 1e-7;

/// The sparse first layer with its lazy-Adam state.
#[derive(Debug)]
pub struct SparseLayer {
    inputs: usize,
    width: usize,
    w: Vec<f32>,
    b: Vec<f32>,
    m: Vec<f32>,
    v: Vec<f32>,
    mb: Vec<f32>,
    vb: Vec<f32>,
    t: i32,
    // scratch: feature → slot in `grad`, u32::MAX when untouched
    slot: Vec<u32>,
    touched: Vec<u32>,
    grad: Vec<f32>,
}

impl SparseLayer {
    /// `inputs × width` weights: Glorot-uniform for the first `units`
    /// columns (as Keras' Dense), zero for the wide path.
    pub fn new(inputs: usize, width: usize, units: usize, rng: &mut StdRng) -> Self {
        let limit = (6.0 / (inputs + units) as f64).sqrt() as f32;
        let mut w = vec![0.0f32; inputs * width];
        for row in w.chunks_mut(width) {
            for x in row.iter_mut().take(units) {
                *x = rng.random_range(-limit..limit);
            }
        }
        Self {
            inputs,
            width,
            m: vec![0.0; w.len()],
            v: vec![0.0; w.len()],
            w,
            b: vec![0.0; width],
            mb: vec![0.0; width],
            vb: vec![0.0; width],
            t: 0,
            slot: vec![u32::MAX; inputs],
            touched: Vec::new(),
            grad: Vec::new(),
        }
    }

    /// Outputs per row.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Pre-activations of `rows` of `x`, row-major `rows.len() × width`.
    pub fn forward(&self, x: &Csr, rows: &[usize]) -> Vec<f32> {
        let width = self.width;
        let mut z = Vec::with_capacity(rows.len() * width);
        for &r in rows {
            let start = z.len();
            z.extend_from_slice(&self.b);
            let out = &mut z[start..start + width];
            let (cols, vals) = x.row(r);
            for (&c, &v) in cols.iter().zip(vals) {
                let row = &self.w[c as usize * width..(c as usize + 1) * width];
                let v = v as f32;
                for (o, &w) in out.iter_mut().zip(row) {
                    *o += v * w;
                }
            }
        }
        z
    }

    /// Applies `dz` (`rows.len() × width`, the gradient of the mean loss) with
    /// lazy Adam: only weight rows of features present in the batch move.
    pub fn step(&mut self, x: &Csr, rows: &[usize], dz: &[f32], lr: f32) {
        let width = self.width;
        self.t += 1;
        let t = self.t;
        let step = lr * (1.0 - BETA2.powi(t)).sqrt() / (1.0 - BETA1.powi(t));
        self.grad.clear();
        self.touched.clear();
        let mut db = vec![0.0f32; width];
        for (i, &r) in rows.iter().enumerate() {
            let g = &dz[i * width..(i + 1) * width];
            for (d, &gi) in db.iter_mut().zip(g) {
                *d += gi;
            }
            let (cols, vals) = x.row(r);
            for (&c, &v) in cols.iter().zip(vals) {
                let s = &mut self.slot[c as usize];
                if *s == u32::MAX {
                    *s = self.touched.len() as u32;
                    self.touched.push(c);
                    self.grad.extend(std::iter::repeat_n(0.0, width));
                }
                let at = *s as usize * width;
                let v = v as f32;
                for (acc, &gi) in self.grad[at..at + width].iter_mut().zip(g) {
                    *acc += v * gi;
                }
            }
        }
        for (k, &c) in self.touched.iter().enumerate() {
            let c = c as usize;
            self.slot[c] = u32::MAX;
            let g = &self.grad[k * width..(k + 1) * width];
            let range = c * width..(c + 1) * width;
            adam(
                &mut self.w[range.clone()],
                &mut self.m[range.clone()],
                &mut self.v[range],
                g,
                step,
            );
        }
        adam(&mut self.b, &mut self.mb, &mut self.vb, &db, step);
    }

    /// The layer's weights, framework-free.
    pub fn export(&self) -> Dense {
        Dense {
            inputs: self.inputs,
            outputs: self.width,
            w: self.w.clone(),
            b: self.b.clone(),
        }
    }
}

fn adam(w: &mut [f32], m: &mut [f32], v: &mut [f32], g: &[f32], step: f32) {
    for (((w, m), v), &g) in w.iter_mut().zip(m.iter_mut()).zip(v.iter_mut()).zip(g) {
        *m = BETA1 * *m + (1.0 - BETA1) * g;
        *v = BETA2 * *v + (1.0 - BETA2) * g * g;
        *w -= step * *m / (v.sqrt() + EPSILON);
    }
}
