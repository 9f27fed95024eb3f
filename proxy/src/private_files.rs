//! Roster's files are its own: `data_dir` is 0700 and every file in it 0600, whatever the
//! umask, because the audit log names who changed whom and the snapshot holds the org's
//! emails and phone numbers.

use std::{fs, io, path::Path};

#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};

/// Creates `dir` (with any missing parents) if needed, and makes it 0700.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(0o700);
    builder.create(dir)?;
    #[cfg(unix)]
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    Ok(())
}

/// Creates `path` empty if it does not exist, and makes it 0600. SQLite gives its WAL and
/// shared-memory files the database file's mode, so creating the database this way keeps
/// them private too.
pub fn private_file(path: &Path) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    options.mode(0o600);
    options.open(path)?;
    #[cfg(unix)]
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
    Ok(())
}

/// Makes `path` 0600 if it exists (a file left by an older Roster).
pub fn private_if_present(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    match fs::set_permissions(path, fs::Permissions::from_mode(0o600)) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        other => other?,
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
