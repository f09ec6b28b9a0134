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
//! [`write_atomically_no_symlinks`] is the same write for files that must stay where their
//! path says (a delivered client secret): it refuses a path that passes through a symbolic
//! link anywhere (a parent directory or the file itself), creates missing folders owner-only
//! without following links, and only then writes. [`refuse_symlinks`] is that check alone,
//! for readers and for checking a path before anything is created for it.
//!
//! # Invariants
//! - The target is replaced by `rename(2)`: a symlink at the target is replaced, never followed.
//! - The temporary file is created exclusively (`O_EXCL`) with the requested mode.
//! - What it does not do: hold the folders open while writing (`openat`), so a process that can
//!   write to a folder of the path and swaps it for a link between the check and the rename
//!   can still redirect the file. Secret folders belong to the user who runs Registrar.

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
    let prefix = format!(".{file_name}.");
    builder.prefix(&prefix).suffix(".tmp");
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

/// Refuses `path` if it, or any folder on the way to it, is a symbolic link (checked with
/// `symlink_metadata`, which does not follow links). Parts that do not exist yet are fine. A
/// relative path is checked from the current directory down.
///
/// # Errors
/// `InvalidInput` naming the link, or the error of reading a part's metadata.
pub fn refuse_symlinks(path: &Path) -> io::Result<()> {
    let absolute = std::path::absolute(path)?;
    let mut current = std::path::PathBuf::new();
    for component in absolute.components() {
        current.push(component);
        match fs::symlink_metadata(&current) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "`{}` is a symbolic link, and a secret is never written through one",
                        current.display()
                    ),
                ));
            }
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// [`write_atomically`] for a file that must be where its path says: refuses a symbolic link
/// at the file or at any folder on the way ([`refuse_symlinks`]) and a folder at the file,
/// creates missing folders one by one, owner-only (`0700`), refusing any that turns out to be
/// a link, and writes nothing when it refuses.
///
/// # Errors
/// As [`write_atomically`]; `InvalidInput` for a link or a folder in the way.
pub fn write_atomically_no_symlinks(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let absolute = std::path::absolute(path)?;
    refuse_symlinks(&absolute)?;
    if let Some(parent) = absolute.parent() {
        create_folders(parent)?;
    }
    match fs::symlink_metadata(&absolute) {
        Ok(metadata) if metadata.is_dir() => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("`{}` is a folder", absolute.display()),
            ));
        }
        Ok(_) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    // Checked again after the folders exist: a link created meanwhile is refused too.
    refuse_symlinks(&absolute)?;
    write_atomically(&absolute, bytes, mode)
}

/// Creates `folder` and its missing parents, owner-only, without following links.
fn create_folders(folder: &Path) -> io::Result<()> {
    let mut current = std::path::PathBuf::new();
    for component in folder.components() {
        current.push(component);
        match fs::symlink_metadata(&current) {
            Ok(metadata) if metadata.is_dir() => continue,
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("`{}` is not a folder", current.display()),
                ));
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(step(error, "create its folder")),
        }
        let mut builder = fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        match builder.create(&current) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(step(error, "create its folder")),
        }
        if !fs::symlink_metadata(&current)?.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("`{}` is not a folder", current.display()),
            ));
        }
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
    fn the_no_symlinks_writer_refuses_links_and_writes_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = fs::canonicalize(dir.path()).expect("canonical");
        let elsewhere = root.join("elsewhere");
        fs::create_dir(&elsewhere).expect("mkdir");
        fs::write(elsewhere.join("target"), b"untouched").expect("write");
        // A symlinked parent folder.
        std::os::unix::fs::symlink(&elsewhere, root.join("linked")).expect("symlink");
        let error =
            write_atomically_no_symlinks(&root.join("linked/secret.json"), b"x", OWNER_ONLY)
                .expect_err("linked parent");
        assert!(error.to_string().contains("is a symbolic link"), "{error}");
        // A symlink at the file.
        std::os::unix::fs::symlink(elsewhere.join("target"), root.join("link.json"))
            .expect("symlink");
        let error = write_atomically_no_symlinks(&root.join("link.json"), b"x", OWNER_ONLY)
            .expect_err("linked file");
        assert!(error.to_string().contains("is a symbolic link"), "{error}");
        assert_eq!(
            fs::read(elsewhere.join("target")).expect("read"),
            b"untouched"
        );
        let mut names: Vec<_> = fs::read_dir(&elsewhere)
            .expect("list")
            .map(|entry| entry.expect("entry").file_name())
            .collect();
        names.sort();
        assert_eq!(names, vec![std::ffi::OsString::from("target")]);
        // Without links: folders are created owner-only, the file 0600.
        let path = root.join("a/b/secret.json");
        write_atomically_no_symlinks(&path, b"x", OWNER_ONLY).expect("write");
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &Path| fs::metadata(path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&root.join("a/b")), 0o700);
        assert_eq!(fs::read(&path).expect("read"), b"x");
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
