//! A linear layer's weight together with the copy [`crate::cpu::linear`] packs from it.

use std::sync::{Arc, OnceLock};

use burn::tensor::Tensor;

use crate::matmul::PackedWeight;

/// A `[in, out]` weight and its packed copy for the CPU's matrix kernel, made on the first
/// fused product and shared by clones made after it. The tensor is only reachable mutably
/// through [`Weight::tensor_mut`], which drops the packed copy, so the two never disagree.
#[derive(Debug, Clone)]
pub struct Weight {
    tensor: Tensor<2>,
    packed: OnceLock<Arc<PackedWeight>>,
}

impl Weight {
    pub fn new(tensor: Tensor<2>) -> Self {
        Self { tensor, packed: OnceLock::new() }
    }

    pub fn tensor(&self) -> &Tensor<2> {
        &self.tensor
    }

    /// The tensor, for a caller that may replace it (the optimiser, the exporter's visitor): the
    /// packed copy is dropped first.
    pub fn tensor_mut(&mut self) -> &mut Tensor<2> {
        self.packed = OnceLock::new();
        &mut self.tensor
    }

    /// `[in, out]`.
    pub fn dims(&self) -> [usize; 2] {
        self.tensor.dims()
    }

    /// The packed copy, made by `pack` on first use.
    pub(crate) fn packed(&self, pack: impl FnOnce() -> Option<PackedWeight>) -> Option<Arc<PackedWeight>> {
        if let Some(p) = self.packed.get() {
            return Some(p.clone());
        }
        let p = Arc::new(pack()?);
        Some(self.packed.get_or_init(|| p).clone())
    }
}
