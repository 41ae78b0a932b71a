//! The web-format reader (the bytes behind the page's "use your own model" and `trm --model`):
//! errors, never panics; whatever it accepts writes back and reads again to the same model.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trm_model::weights::web::{self, Storage};

fuzz_target!(|data: &[u8]| {
    let _ = web::looks_like_web(data);
    let Ok(model) = web::read(data) else {
        return;
    };
    let bytes = web::write(&model.config, &model.tensors, Storage::F32, model.puzzle_identifiers.as_deref(), &model.metadata)
        .expect("a model that was read can be written");
    let again = web::read(&bytes).expect("a written model reads back");
    assert_eq!(again.config, model.config);
    assert_eq!(again.puzzle_identifiers, model.puzzle_identifiers);
    assert_eq!(again.tensors.len(), model.tensors.len());
});
