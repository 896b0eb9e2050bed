//! Secrets at rest (Megaplan passwords and tokens, UIS keys): ChaCha20-Poly1305 with the server's key.
//! Each value is bound to where it is stored (`aad`, e.g. `megaplan_password:{id}`), so a sealed value
//! copied into another row or column does not open.

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;

use crate::secret::SecretKey;

const PREFIX: &str = "v1:";

#[derive(Clone)]
pub struct Cipher(ChaCha20Poly1305);

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cipher(***)")
    }
}

impl Cipher {
    pub fn new(key: &SecretKey) -> Cipher {
        Cipher(ChaCha20Poly1305::new(Key::from_slice(&key.0)))
    }

    /// `v1:` + base64(nonce ‖ ciphertext ‖ tag).
    pub fn seal(&self, aad: &str, plaintext: &str) -> anyhow::Result<String> {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .0
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| anyhow::anyhow!("encryption failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(out)
        ))
    }

    pub fn open(&self, aad: &str, sealed: &str) -> anyhow::Result<String> {
        let body = sealed
            .strip_prefix(PREFIX)
            .ok_or_else(|| anyhow::anyhow!("not a sealed value"))?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(body)?;
        anyhow::ensure!(bytes.len() > 12, "sealed value too short");
        let (nonce, ct) = bytes.split_at(12);
        let plain = self
            .0
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| anyhow::anyhow!("cannot open a sealed value: wrong key or tampered"))?;
        Ok(String::from_utf8(plain)?)
    }
}

impl app::ssr::Secrets for Cipher {
    fn seal(&self, aad: &str, plaintext: &str) -> Result<String, app::ssr::ServiceError> {
        Cipher::seal(self, aad, plaintext).map_err(|e| app::ssr::ServiceError(e.to_string()))
    }

    fn open(&self, aad: &str, sealed: &str) -> Result<String, app::ssr::ServiceError> {
        Cipher::open(self, aad, sealed).map_err(|e| app::ssr::ServiceError(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_place() {
        let c = Cipher::new(&SecretKey([7; 32]));
        let s = c.seal("megaplan_password:1", "secret").unwrap();
        assert!(s.starts_with("v1:") && !s.contains("secret"));
        assert_eq!(c.open("megaplan_password:1", &s).unwrap(), "secret");
        assert!(c.open("megaplan_password:2", &s).is_err(), "another row");
        assert!(
            Cipher::new(&SecretKey([8; 32]))
                .open("megaplan_password:1", &s)
                .is_err()
        );
        assert_ne!(
            s,
            c.seal("megaplan_password:1", "secret").unwrap(),
            "fresh nonce"
        );
    }
}
