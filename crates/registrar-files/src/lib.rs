//! Atomic file writes: the one way Registrar puts a file that must never be seen half-written
//! or readable by others (a delivered client secret, the local tenant's state with its signing
//! key and vault values).
//!
//! # Brief overview
//! [`write_atomically`] writes the bytes to a new temporary file beside the target, created with
//! its final mode (so there is no moment at which it is readable by others), flushes it to disk,
//! renames it over the target and flushes the directory. A reader sees the old file or the new
//! one, never a mix; a crash leaves at most a stray `.*.tmp` file.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("secret.json");
//! registrar_files::write_atomically(&path, b"{}", registrar_files::OWNER_ONLY).unwrap();
//! assert_eq!(std::fs::read(&path).unwrap(), b"{}");
//! ```
//!
//! # Invariants
//! - The target is replaced by `rename(2)`: a symlink at the target is replaced, never followed.
//! - The temporary file is created exclusively (`O_EXCL`) with the requested mode.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// Read and write for the owner only (`0600`).
pub const OWNER_ONLY: u32 = 0o600;

/// Writes `bytes` to `path` atomically with permission bits `mode` (Unix; ignored elsewhere),
/// creating the parent folder if needed.
///
/// The error says which step failed (create the folder, create the temporary file, write,
/// flush, rename), so callers can wrap it with the path and what the file was for.
pub fn write_atomically(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    fs::create_dir_all(directory).map_err(|e| step(e, "create its folder"))?;
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut builder = tempfile::Builder::new();
    builder.prefix(&format!(".{file_name}.")).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut temporary = builder
        .tempfile_in(directory)
        .map_err(|e| step(e, "create a temporary file beside it"))?;
    temporary
        .write_all(bytes)
        .map_err(|e| step(e, "write the temporary file"))?;
    temporary
        .as_file()
        .sync_all()
        .map_err(|e| step(e, "flush the temporary file"))?;
    // On error the temporary file is removed when `persist`'s error is dropped.
    temporary
        .persist(path)
        .map_err(|e| step(e.error, "rename the temporary file into place"))?;
    // Make the rename durable; not every platform can open a folder, so this is best effort.
    if let Ok(folder) = fs::File::open(directory) {
        let _ = folder.sync_all();
    }
    Ok(())
}

fn step(error: io::Error, what: &str) -> io::Error {
    io::Error::new(error.kind(), format!("could not {what}: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_whole_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("nested").join("state.json");
        write_atomically(&path, b"first", OWNER_ONLY).expect("first write");
        write_atomically(&path, b"second", OWNER_ONLY).expect("second write");
        assert_eq!(fs::read(&path).expect("read"), b"second");
        let names: Vec<_> = fs::read_dir(path.parent().expect("parent"))
            .expect("list")
            .map(|entry| entry.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("state.json")]);
    }

    #[cfg(unix)]
    #[test]
    fn the_file_has_the_requested_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("secret");
        write_atomically(&path, b"x", OWNER_ONLY).expect("write");
        let mode = fs::metadata(&path).expect("metadata").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_at_the_target_is_replaced_not_followed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let elsewhere = dir.path().join("elsewhere");
        fs::write(&elsewhere, b"untouched").expect("write");
        let path = dir.path().join("link");
        std::os::unix::fs::symlink(&elsewhere, &path).expect("symlink");
        write_atomically(&path, b"new", OWNER_ONLY).expect("write");
        assert_eq!(fs::read(&elsewhere).expect("read"), b"untouched");
        assert!(
            !fs::symlink_metadata(&path)
                .expect("meta")
                .file_type()
                .is_symlink()
        );
    }
}
