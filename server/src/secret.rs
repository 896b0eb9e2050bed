//! The key that encrypts stored credentials: from configuration, or generated once into the data directory.

use std::path::Path;

use rand::RngCore;

pub const KEY_LEN: usize = 32;

#[derive(Clone)]
pub struct SecretKey(pub [u8; KEY_LEN]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

impl SecretKey {
    pub fn parse_hex(s: &str) -> anyhow::Result<SecretKey> {
        let bytes =
            hex::decode(s.trim()).map_err(|_| anyhow::anyhow!("the secret key must be hex"))?;
        let arr: [u8; KEY_LEN] = bytes.try_into().map_err(|_| {
            anyhow::anyhow!("the secret key must be {} hex characters", KEY_LEN * 2)
        })?;
        Ok(SecretKey(arr))
    }

    /// The configured key, else the one in `<data_dir>/secret.key`, else a new one written there.
    pub fn load_or_create(configured: Option<&str>, data_dir: &Path) -> anyhow::Result<SecretKey> {
        if let Some(hex) = configured {
            return SecretKey::parse_hex(hex);
        }
        let path = data_dir.join("secret.key");
        if path.exists() {
            return SecretKey::parse_hex(&std::fs::read_to_string(&path)?)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()));
        }
        let mut key = [0u8; KEY_LEN];
        rand::rng().fill_bytes(&mut key);
        write_private(&path, &hex::encode(key))?;
        tracing::info!(path = %path.display(), "generated a new secret key");
        Ok(SecretKey(key))
    }
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_key_is_kept_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let a = SecretKey::load_or_create(None, dir.path()).unwrap();
        let b = SecretKey::load_or_create(None, dir.path()).unwrap();
        assert_eq!(a.0, b.0);
    }

    #[test]
    fn configured_key_must_be_64_hex_characters() {
        assert!(SecretKey::parse_hex("abcd").is_err());
        assert!(SecretKey::parse_hex(&"zz".repeat(32)).is_err());
        assert_eq!(SecretKey::parse_hex(&"01".repeat(32)).unwrap().0, [1u8; 32]);
    }
}
