//! Reference checkpoints stored as safetensors: errors, never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trm_model::weights::read_safetensors;

fuzz_target!(|data: &[u8]| {
    if let Ok((tensors, _)) = read_safetensors(data) {
        for (_, t) in tensors.iter() {
            assert_eq!(t.data.len(), t.shape.iter().product::<usize>());
        }
    }
});
