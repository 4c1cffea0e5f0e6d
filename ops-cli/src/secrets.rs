//! File secrets: a secret whose file is missing is generated (32 random URL-safe
//! characters) in a 0700 directory, as a 0644 file the containers' unprivileged users
//! can read. Secret values are never printed, logged or passed on a command line.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::topology::Project;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Generates every secret file a service of `project` uses and that does not exist yet.
/// Returns the files it created.
pub fn ensure(project: &Project) -> Result<Vec<PathBuf>> {
    let mut created = Vec::new();
    for secret in &project.secrets {
        let used = project
            .services
            .iter()
            .any(|s| s.secrets.contains(&secret.key));
        if used && !secret.file.exists() {
            write_new(&secret.file, &random_token(32)?)?;
            created.push(secret.file.clone());
        }
    }
    Ok(created)
}

/// Writes `value` to a new file at `path` with mode 0644, creating missing parent
/// directories with mode 0700.
pub fn write_new(path: &Path, value: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(|e| Error::io("create directory", parent, e))?;
    }
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(path)
        .map_err(|e| Error::io("create", path, e))?;
    // The umask may have narrowed the mode; containers run as other users and must read it.
    file.set_permissions(fs::Permissions::from_mode(0o644))
        .map_err(|e| Error::io("set permissions of", path, e))?;
    file.write_all(value.as_bytes())
        .map_err(|e| Error::io("write", path, e))
}

/// A random string of URL-safe characters from the kernel's CSPRNG.
pub fn random_token(length: usize) -> Result<String> {
    let mut bytes = vec![0u8; length];
    fs::File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut bytes))
        .map_err(|e| Error::io("read", "/dev/urandom", e))?;
    // 64 symbols: taking the low six bits keeps every symbol equally likely.
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[usize::from(b & 63)] as char)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_url_safe_and_random() {
        let first = random_token(32).unwrap();
        assert_eq!(first.len(), 32);
        assert!(first.bytes().all(|b| ALPHABET.contains(&b)));
        assert_ne!(first, random_token(32).unwrap());
    }

    #[test]
    fn writes_with_private_directory_and_readable_file() {
        let root =
            std::env::temp_dir().join(format!("chatctl-secret-{}", random_token(8).unwrap()));
        let file = root.join(".livechat/secrets/db_password");
        write_new(&file, "s3cret").unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(file.parent().unwrap()), 0o700);
        assert_eq!(mode(&file), 0o644);
        assert_eq!(fs::read_to_string(&file).unwrap(), "s3cret");
        assert!(
            write_new(&file, "other").is_err(),
            "never overwrites an existing secret"
        );
        fs::remove_dir_all(root).unwrap();
    }
}
