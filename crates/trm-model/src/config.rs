//! TRM hyper-parameters, named exactly like the reference's `TinyRecursiveReasoningModel_ACTV1Config`
//! so a fixture's `config.json` or the `arch:` block of a checkpoint's `all_config.yaml` reads as is.

use serde::{Deserialize, Serialize};

/// How positions are encoded: `rope`, `learned` or `none` (the Sudoku-MLP's). The reference
/// treats any other string as "none" too; here an unknown name is an error, so a typo in a
/// config cannot silently drop the positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum PosEncoding {
    Rope,
    Learned,
    None,
}

impl TryFrom<String> for PosEncoding {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        match s.as_str() {
            "rope" => Ok(PosEncoding::Rope),
            "learned" => Ok(PosEncoding::Learned),
            "none" => Ok(PosEncoding::None),
            other => Err(format!("unknown pos_encodings `{other}` (rope, learned or none)")),
        }
    }
}

impl From<PosEncoding> for String {
    fn from(p: PosEncoding) -> Self {
        match p {
            PosEncoding::Rope => "rope",
            PosEncoding::Learned => "learned",
            PosEncoding::None => "none",
        }
        .to_string()
    }
}

fn default_puzzle_emb_len() -> usize {
    16
}
fn default_eps() -> f64 {
    1e-5
}
fn default_theta() -> f64 {
    10000.0
}
fn default_true() -> bool {
    true
}
fn default_halt() -> usize {
    16
}

/// The architecture of one TRM network. Field names follow the reference (`H_cycles`, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrmConfig {
    pub seq_len: usize,
    pub vocab_size: usize,
    pub num_puzzle_identifiers: usize,
    #[serde(default)]
    pub puzzle_emb_ndim: usize,
    #[serde(default = "default_puzzle_emb_len")]
    pub puzzle_emb_len: usize,
    #[serde(rename = "H_cycles")]
    pub h_cycles: usize,
    #[serde(rename = "L_cycles")]
    pub l_cycles: usize,
    #[serde(rename = "L_layers")]
    pub l_layers: usize,
    pub hidden_size: usize,
    pub num_heads: usize,
    pub expansion: f64,
    pub pos_encodings: PosEncoding,
    #[serde(default)]
    pub mlp_t: bool,
    #[serde(default = "default_halt")]
    pub halt_max_steps: usize,
    #[serde(default = "default_eps")]
    pub rms_norm_eps: f64,
    #[serde(default = "default_theta")]
    pub rope_theta: f64,
    #[serde(rename = "no_ACT_continue", default = "default_true")]
    pub no_act_continue: bool,
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("unsupported TRM configuration: {0}")]
pub struct ConfigError(pub String);

impl TrmConfig {
    /// Number of prefix positions that hold the puzzle embedding: `puzzle_emb_len` when set,
    /// otherwise ceil(`puzzle_emb_ndim` / hidden).
    pub fn prefix_len(&self) -> usize {
        if self.puzzle_emb_len != 0 {
            self.puzzle_emb_len
        } else {
            self.puzzle_emb_ndim.div_ceil(self.hidden_size)
        }
    }

    /// Positions the network sees: prefix + grid.
    pub fn total_len(&self) -> usize {
        self.prefix_len() + self.seq_len
    }

    pub fn head_dim(&self) -> usize {
        self.hidden_size / self.num_heads
    }

    /// Reference SwiGLU width rule: round(expansion * width * 2/3) (half to even), then up to
    /// a multiple of 256.
    pub fn swiglu_inter(&self, width: usize) -> usize {
        let raw = (self.expansion * width as f64 * 2.0 / 3.0).round_ties_even() as usize;
        raw.div_ceil(256) * 256
    }

    /// Network calls per supervision step.
    pub fn net_calls_per_step(&self) -> usize {
        self.h_cycles * (self.l_cycles + 1)
    }

    /// Reject configurations the reference cannot run either, with a reason.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |s: String| Err(ConfigError(s));
        // Bounds far beyond any real model, so that no size arithmetic can overflow and no
        // number is meaningless (a subnormal epsilon, an infinite RoPE base).
        let limits: [(&str, usize, usize); 9] = [
            ("hidden_size", self.hidden_size, 1 << 16),
            ("num_heads", self.num_heads, 1 << 10),
            ("seq_len", self.seq_len, 1 << 20),
            ("vocab_size", self.vocab_size, 1 << 20),
            ("num_puzzle_identifiers", self.num_puzzle_identifiers, 1 << 24),
            ("puzzle_emb_ndim", self.puzzle_emb_ndim, 1 << 20),
            ("puzzle_emb_len", self.puzzle_emb_len, 1 << 16),
            ("H_cycles, L_cycles and L_layers", self.h_cycles.max(self.l_cycles).max(self.l_layers), 1 << 10),
            ("halt_max_steps", self.halt_max_steps, 1 << 16),
        ];
        if let Some((name, value, max)) = limits.iter().find(|(_, v, max)| v > max) {
            return err(format!("{name} = {value} is beyond the supported {max}"));
        }
        if self.halt_max_steps == 0 {
            return err("halt_max_steps must be positive".into());
        }
        if !(1e-12..=0.1).contains(&self.rms_norm_eps) {
            return err(format!("rms_norm_eps must be in [1e-12, 0.1], got {}", self.rms_norm_eps));
        }
        if !(1.0..=1e12).contains(&self.rope_theta) {
            return err(format!("rope_theta must be in [1, 1e12], got {}", self.rope_theta));
        }
        if !(self.expansion > 0.0 && self.expansion <= 64.0) {
            return err(format!("expansion must be in (0, 64], got {}", self.expansion));
        }
        if self.hidden_size == 0 || self.num_heads == 0 || self.hidden_size % self.num_heads != 0 {
            return err(format!(
                "hidden_size {} must be a positive multiple of num_heads {}",
                self.hidden_size, self.num_heads
            ));
        }
        if self.pos_encodings == PosEncoding::Rope && self.head_dim() % 2 != 0 {
            return err(format!("RoPE needs an even head_dim, got {}", self.head_dim()));
        }
        if self.seq_len == 0 || self.vocab_size == 0 {
            return err("seq_len and vocab_size must be positive".into());
        }
        if self.h_cycles == 0 || self.l_cycles == 0 || self.l_layers == 0 {
            return err("H_cycles, L_cycles and L_layers must be positive".into());
        }
        if self.puzzle_emb_ndim == 0 && self.puzzle_emb_len != 0 {
            return err(format!(
                "puzzle_emb_ndim = 0 with puzzle_emb_len = {} (the reference reserves prefix \
                 positions it never fills; its shapes break)",
                self.puzzle_emb_len
            ));
        }
        if self.puzzle_emb_ndim > self.prefix_len() * self.hidden_size {
            return err(format!(
                "puzzle_emb_ndim {} does not fit in {} prefix positions of width {}",
                self.puzzle_emb_ndim,
                self.prefix_len(),
                self.hidden_size
            ));
        }
        if self.puzzle_emb_ndim > 0 && self.num_puzzle_identifiers == 0 {
            return err("num_puzzle_identifiers must be positive".into());
        }
        Ok(())
    }

    /// Parse a reference `config.json` (as in the parity fixtures).
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        let cfg: Self =
            serde_json::from_str(text).map_err(|e| ConfigError(format!("config.json: {e}")))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Parameter count as the paper counts it (no puzzle-embedding table, no H/L_init).
    pub fn param_count(&self) -> usize {
        let d = self.hidden_size;
        let s = self.total_len();
        let inter = self.swiglu_inter(d);
        let mut block = 3 * inter * d; // channel SwiGLU: gate_up + down
        if self.mlp_t {
            let inter_t = self.swiglu_inter(s);
            block += 3 * inter_t * s;
        } else {
            block += 4 * d * d;
        }
        let mut n = self.l_layers * block + 2 * self.vocab_size * d + 2 * d + 2;
        if self.pos_encodings == PosEncoding::Learned {
            n += s * d;
        }
        n
    }

    /// Multiply-accumulates of one network call for one example (the matmuls and attention).
    pub fn macs_per_net_call(&self) -> u64 {
        let d = self.hidden_size as u64;
        let s = self.total_len() as u64;
        let inter = self.swiglu_inter(self.hidden_size) as u64;
        let mut block = s * 3 * inter * d;
        if self.mlp_t {
            let inter_t = self.swiglu_inter(self.total_len()) as u64;
            block += d * 3 * inter_t * s;
        } else {
            block += s * 4 * d * d + 2 * s * s * d;
        }
        self.l_layers as u64 * block
    }

    /// Multiply-accumulates of one supervision step (all net calls plus the output heads).
    pub fn macs_per_step(&self) -> u64 {
        let heads = (self.seq_len * self.vocab_size * self.hidden_size + 2 * self.hidden_size) as u64;
        self.net_calls_per_step() as u64 * self.macs_per_net_call() + heads
    }

    /// The paper-size configurations, for benchmarks with random weights.
    pub fn preset(name: &str) -> Option<Self> {
        let base = |seq_len, vocab_size, l_cycles, mlp_t, pos| TrmConfig {
            seq_len,
            vocab_size,
            num_puzzle_identifiers: 1,
            puzzle_emb_ndim: 512,
            puzzle_emb_len: 16,
            h_cycles: 3,
            l_cycles,
            l_layers: 2,
            hidden_size: 512,
            num_heads: 8,
            expansion: 4.0,
            pos_encodings: pos,
            mlp_t,
            halt_max_steps: 16,
            rms_norm_eps: 1e-5,
            rope_theta: 10000.0,
            no_act_continue: true,
        };
        Some(match name {
            "sudoku-mlp" => base(81, 11, 6, true, PosEncoding::None),
            "sudoku-att" => base(81, 11, 6, false, PosEncoding::Rope),
            "maze" => base(900, 6, 4, false, PosEncoding::Rope),
            "arc" => base(900, 12, 4, false, PosEncoding::Rope),
            _ => return None,
        })
    }

    pub const PRESETS: [&'static str; 4] = ["sudoku-mlp", "sudoku-att", "maze", "arc"];

    /// The puzzle task whose token layout this architecture reads, if any.
    pub fn task(&self) -> Option<trm_tasks::Task> {
        trm_tasks::Task::of_layout(self.seq_len, self.vocab_size)
    }
}

/// The `arch:` block of a reference `all_config.yaml`, as read. It lacks the fields that come
/// from the dataset (seq_len, vocab_size, num_puzzle_identifiers: the checkpoint's tensor shapes
/// tell them), and may write `puzzle_emb_ndim` as the interpolation `${.hidden_size}`.
#[derive(Debug, Clone)]
pub struct ArchBlock(serde_json::Map<String, serde_json::Value>);

impl ArchBlock {
    /// Read the `arch:` block of a reference `all_config.yaml` (the rest of the file is ignored).
    pub fn from_all_config_yaml(text: &str) -> Result<Self, ConfigError> {
        let err = |e: String| ConfigError(format!("all_config.yaml: {e}"));
        let all: serde_json::Value = serde_yaml_ng::from_str(text).map_err(|e| err(e.to_string()))?;
        let mut arch = match all.get("arch") {
            Some(serde_json::Value::Object(m)) => m.clone(),
            _ => return Err(err("no `arch:` block".into())),
        };
        if let Some(serde_json::Value::String(s)) = arch.get("puzzle_emb_ndim") {
            if s.replace(' ', "") != "${.hidden_size}" {
                return Err(err(format!("puzzle_emb_ndim: cannot read `{s}`")));
            }
            let hidden = arch.get("hidden_size").cloned().unwrap_or_default();
            arch.insert("puzzle_emb_ndim".into(), hidden);
        }
        Ok(Self(arch))
    }

    pub fn usize(&self, key: &str) -> Option<usize> {
        self.0.get(key).and_then(serde_json::Value::as_u64).map(|v| v as usize)
    }

    pub fn mlp_t(&self) -> bool {
        self.0.get("mlp_t").and_then(serde_json::Value::as_bool).unwrap_or(false)
    }

    pub fn pos_encodings(&self) -> Result<PosEncoding, ConfigError> {
        let s = self.0.get("pos_encodings").and_then(serde_json::Value::as_str).unwrap_or("none");
        PosEncoding::try_from(s.to_string()).map_err(ConfigError)
    }

    /// Prefix positions, by the same rule as [`TrmConfig::prefix_len`].
    pub fn prefix_len(&self) -> usize {
        match self.usize("puzzle_emb_len").unwrap_or(16) {
            0 => self.usize("puzzle_emb_ndim").unwrap_or(0).div_ceil(self.usize("hidden_size").unwrap_or(1).max(1)),
            n => n,
        }
    }

    /// Complete into a config with the dataset-derived fields (these replace any in the yaml).
    pub fn into_config(
        self,
        seq_len: usize,
        vocab_size: usize,
        num_puzzle_identifiers: usize,
    ) -> Result<TrmConfig, ConfigError> {
        let mut m = self.0;
        for (key, value) in [
            ("seq_len", seq_len),
            ("vocab_size", vocab_size),
            ("num_puzzle_identifiers", num_puzzle_identifiers),
        ] {
            m.insert(key.into(), value.into());
        }
        m.entry("pos_encodings").or_insert("none".into());
        let cfg: TrmConfig = serde_json::from_value(serde_json::Value::Object(m))
            .map_err(|e| ConfigError(format!("all_config.yaml arch block: {e}")))?;
        cfg.validate()?;
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swiglu_sizes_follow_the_reference_rule() {
        let c = TrmConfig::preset("sudoku-mlp").unwrap();
        assert_eq!(c.swiglu_inter(512), 1536);
        assert_eq!(c.swiglu_inter(97), 512);
        assert_eq!(c.swiglu_inter(916), 2560);
    }

    #[test]
    fn prefix_length_uses_ceil_division_when_len_is_zero() {
        let mut c = TrmConfig::preset("arc").unwrap();
        c.hidden_size = 64;
        c.num_heads = 4;
        c.puzzle_emb_ndim = 96;
        c.puzzle_emb_len = 0;
        assert_eq!(c.prefix_len(), 2);
        assert_eq!(c.total_len(), 902);
        c.puzzle_emb_ndim = 128;
        assert_eq!(c.prefix_len(), 2);
        c.puzzle_emb_ndim = 129;
        assert_eq!(c.prefix_len(), 3);
    }

    /// Found by the web_model fuzz target: a subnormal epsilon parsed, and did not even survive
    /// a JSON round trip. Meaningless numbers and sizes that could overflow are errors.
    #[test]
    fn absurd_numbers_and_sizes_are_errors() {
        let base = TrmConfig::preset("sudoku-att").unwrap();
        let cases: [(&str, fn(&mut TrmConfig)); 6] = [
            ("rms_norm_eps", |c| c.rms_norm_eps = 1e-45),
            ("rope_theta", |c| c.rope_theta = f64::INFINITY),
            ("expansion", |c| c.expansion = f64::NAN),
            ("hidden_size", |c| c.hidden_size = usize::MAX / 4),
            ("halt_max_steps", |c| c.halt_max_steps = 0),
            ("num_puzzle_identifiers", |c| c.num_puzzle_identifiers = usize::MAX),
        ];
        for (name, edit) in cases {
            let mut c = base.clone();
            edit(&mut c);
            let e = c.validate().unwrap_err().to_string();
            assert!(e.contains(name), "{name}: {e}");
        }
        assert!(base.validate().is_ok());
    }

    #[test]
    fn step_macs_match_the_reference_estimate() {
        // performance-anchors.md: sudoku-mlp 1.28e10 multiply-adds per step.
        let m = TrmConfig::preset("sudoku-mlp").unwrap().macs_per_step();
        assert!((m as f64 / 1.28e10 - 1.0).abs() < 0.01, "{m}");
    }

    #[test]
    fn reads_the_all_config_arch_block() {
        let yaml = "H_cycles: 3\nH_layers: 0\nL_cycles: 6\nL_layers: 2\nexpansion: 4\nforward_dtype: bfloat16\n\
                    hidden_size: 512\nmlp_t: true\nnum_heads: 8\npos_encodings: none\npuzzle_emb_len: 16\n\
                    puzzle_emb_ndim: ${.hidden_size}\nhalt_max_steps: 16\n";
        let arch = ArchBlock::from_all_config_yaml(&format!("arch:\n{}", indent(yaml))).unwrap();
        let cfg = arch.into_config(81, 11, 1).unwrap();
        assert_eq!(cfg, TrmConfig::preset("sudoku-mlp").unwrap());
    }

    fn indent(s: &str) -> String {
        s.lines().map(|l| format!("  {l}\n")).collect()
    }

    #[test]
    fn an_unknown_position_encoding_is_an_error() {
        let mut v = serde_json::to_value(TrmConfig::preset("sudoku-att").unwrap()).unwrap();
        v["pos_encodings"] = "rop".into();
        let e = TrmConfig::from_json(&v.to_string()).unwrap_err().to_string();
        assert!(e.contains("unknown pos_encodings `rop`"), "{e}");
        v["pos_encodings"] = "none".into();
        assert_eq!(TrmConfig::from_json(&v.to_string()).unwrap().pos_encodings, PosEncoding::None);
    }
}
