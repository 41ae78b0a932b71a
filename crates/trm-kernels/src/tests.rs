//! The two bodies of every op on the same inputs: [`Fused`] (the CPU kernels) against
//! [`Reference`] (plain burn ops), and the reference's own attention against burn's.

use burn::tensor::{Device, Tensor, TensorData};

use super::*;

fn tensor<const D: usize>(shape: [usize; D], seed: usize) -> Tensor<D> {
    let n = shape.iter().product();
    let values: Vec<f32> = (0..n).map(|i| ((i * seed + 17) % 1000) as f32 / 250.0 - 2.0).collect();
    Tensor::from_data(TensorData::new(values, shape), &Device::flex())
}

fn worst<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> f32 {
    assert_eq!(a.dims(), b.dims());
    let (a, b): (Vec<f32>, Vec<f32>) = (a.into_data().iter().collect(), b.into_data().iter().collect());
    a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

#[test]
fn linear_fused_equals_reference_and_repacks_after_a_change() {
    let x = tensor([3, 5, 64], 7919);
    let mut w = Weight::new(tensor([64, 96], 104729));
    assert!(cpu::linear(&x, &w).is_some() || !matmul::supported(), "the kernel takes plain flex f32 tensors");
    assert!(worst(Fused.linear(x.clone(), &w, None), Reference.linear(x.clone(), &w, None)) < 1e-4);
    // A replaced weight must not be served from the old packed copy.
    *w.tensor_mut() = tensor([64, 96], 31);
    assert!(worst(Fused.linear(x.clone(), &w, None), Reference.linear(x.clone(), &w, None)) < 1e-4);
    // With a bias (q_head), the reference body.
    let bias = tensor([96], 3);
    assert!(worst(Fused.linear(x.clone(), &w, Some(&bias)), Reference.linear(x, &w, Some(&bias))) < 1e-4);
}

#[test]
fn swiglu_gate_fused_equals_reference() {
    let gate_up = tensor([2, 9, 2 * 48], 7919);
    assert!(worst(Fused.swiglu_gate(gate_up.clone()), Reference.swiglu_gate(gate_up)) < 1e-5);
}

#[test]
fn residual_norms_fused_equal_reference() {
    let (h, f, f_t) = (tensor([2, 11, 40], 7919), tensor([2, 11, 40], 104729), tensor([2, 40, 11], 31));
    assert!(worst(Fused.residual_rms_norm(h.clone(), f.clone(), 1e-5), Reference.residual_rms_norm(h.clone(), f, 1e-5)) < 1e-5);
    assert!(
        worst(
            Fused.residual_rms_norm_over_positions(h.clone(), f_t.clone(), 1e-5),
            Reference.residual_rms_norm_over_positions(h, f_t, 1e-5)
        ) < 1e-5
    );
}

#[test]
fn attention_fused_and_reference_equal_burns_attention() {
    let (b, s, heads, d) = (2, 23, 2, 8);
    let qkv = tensor([b, s, 3 * heads * d], 7919);
    let rotary = Rotary::new(s, d, 10000.0, &Device::flex());
    for rotary in [None, Some(&rotary)] {
        // burn's own attention op, an independent body.
        let split = qkv.clone().reshape([b, s, 3 * heads, d]);
        let part = |i: usize| split.clone().narrow(2, i * heads, heads).swap_dims(1, 2);
        let (mut q, mut k, v) = (part(0), part(1), part(2));
        if let Some(rot) = rotary {
            q = rot.apply(q);
            k = rot.apply(k);
        }
        let burns = burn::tensor::module::attention(q, k, v, None, None, Default::default())
            .swap_dims(1, 2)
            .reshape([b, s, heads * d]);
        assert!(cpu::attention(&qkv, heads, rotary).is_some() || !matmul::supported(), "the kernel takes plain flex f32 tensors");
        let reference = Reference.attention(qkv.clone(), heads, rotary);
        let fused = Fused.attention(qkv.clone(), heads, rotary);
        assert!(worst(reference.clone(), burns) < 1e-5, "reference, rotary {}", rotary.is_some());
        assert!(worst(fused, reference) < 1e-5, "fused, rotary {}", rotary.is_some());
    }
}

#[test]
fn row_shards_cover_every_row_once_in_order() {
    for (rows, shards) in [(1, 1), (7, 2), (16, 3), (5, 5)] {
        let ranges: Vec<_> = even_ranges(rows, shards).collect();
        assert_eq!(ranges.len(), shards);
        let mut next = 0;
        for (start, len) in ranges {
            assert_eq!(start, next);
            assert!(len >= rows / shards && len <= rows.div_ceil(shards));
            next += len;
        }
        assert_eq!(next, rows);
    }
    // Whatever the pool's size, the shards' results come back in row order.
    if let Some(parts) = Fused.row_shards(9, &Device::flex(), |start, len| (start, len)) {
        assert_eq!(parts.iter().map(|p| p.1).sum::<usize>(), 9);
        assert!(parts.windows(2).all(|w| w[0].0 + w[0].1 == w[1].0));
    }
}

/// Under autodiff the trainer's gate is [`cpu::swiglu_tracked`]: its value and its gradient
/// equal the reference's.
#[cfg(feature = "autodiff")]
#[test]
fn swiglu_gate_under_autodiff_has_the_reference_gradient() {
    let device = Device::flex().autodiff();
    let values = tensor([2, 5, 2 * 16], 7919).into_data();
    let grads = |ops: &dyn Fn(Tensor<3>) -> Tensor<3>| {
        let x = Tensor::<3>::from_data(values.clone(), &device).require_grad();
        let y = ops(x.clone());
        let value: Vec<f32> = y.clone().inner().into_data().iter().collect();
        let g = y.sum().backward();
        let grad: Vec<f32> = x.grad(&g).expect("a gradient").into_data().iter().collect();
        (value, grad)
    };
    let (fv, fg) = grads(&|x| Fused.swiglu_gate(x));
    let (rv, rg) = grads(&|x| Reference.swiglu_gate(x));
    let close = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-5);
    assert!(close(&fv, &rv), "values");
    assert!(close(&fg, &rg), "gradients");
}
