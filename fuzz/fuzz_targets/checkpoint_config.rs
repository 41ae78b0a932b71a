//! `config.json` and `all_config.yaml` beside a checkpoint: errors, never panics; an accepted
//! config is valid and round-trips through its JSON.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trm_model::config::TrmConfig;
use trm_model::weights::checkpoint::{ConfigKind, parse_config};
use trm_model::weights::{HostTensor, TensorMap};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    // The shapes a yaml's missing sizes are read from.
    let mut tensors = TensorMap::new();
    let vocab = [6, 11, 12, 1, 0][selector as usize % 5];
    let _ = tensors.insert("embed_tokens.embedding_weight", HostTensor::new(vec![vocab, 8], vec![0.0; vocab * 8]));
    let kind = if selector & 0x80 == 0 { ConfigKind::Json } else { ConfigKind::AllConfigYaml };
    let seq_len = (selector & 0x40 != 0).then_some(81);
    if let Ok(cfg) = parse_config(text, kind, &tensors, seq_len) {
        cfg.validate().expect("an accepted config is valid");
        let json = serde_json::to_string(&cfg).unwrap();
        assert_eq!(TrmConfig::from_json(&json).unwrap(), cfg);
        let _ = cfg.param_count();
        let _ = cfg.task();
    }
});
