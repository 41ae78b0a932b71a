//! Reference checkpoints as `torch.save` zip pickles (read from a file, as the CLI does):
//! errors, never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trm_model::weights::checkpoint::read_tensors;

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("trm-fuzz-checkpoint-{}", std::process::id()));
    std::fs::write(&path, data).expect("temp file");
    if let Ok(tensors) = read_tensors(&path) {
        for (_, t) in tensors.iter() {
            assert_eq!(t.data.len(), t.shape.iter().product::<usize>());
        }
    }
});
