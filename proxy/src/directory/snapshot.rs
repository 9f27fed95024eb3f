//! The directory as a snapshot: written to `data_dir` (and read back at start-up), and, with
//! several replicas, exported for the database and imported from it. Changes made through
//! Roster are also handed to the replicas' feed ([`Directory::outbox`]).

use std::{
    path::Path,
    sync::{Arc, Mutex, RwLock},
};

use roster_api::{SyncState, Workspace};
use serde::{Deserialize, Serialize};

use super::{Change, Data, DirUser, Directory};

/// The on-disk form.
#[derive(Debug, Serialize, Deserialize)]
struct Persisted {
    version: u32,
    synced_at: Option<i64>,
    workspaces: Vec<Workspace>,
    users: Vec<DirUser>,
}

const PERSIST_VERSION: u32 = 1;

/// The JSON of `data` (a snapshot), streamed to `out`.
pub(super) fn write_snapshot(data: &Data, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let persisted = PersistedRef {
        version: PERSIST_VERSION,
        synced_at: data.synced_at,
        workspaces: &data.workspaces,
        users: &data.users,
    };
    serde_json::to_writer(out, &persisted).map_err(std::io::Error::other)
}

/// A snapshot read from `reader`; `None` when it is of another version.
pub(super) fn read_snapshot(reader: impl std::io::Read) -> serde_json::Result<Option<Data>> {
    let p: Persisted = serde_json::from_reader(reader)?;
    if p.version != PERSIST_VERSION {
        return Ok(None);
    }
    let users: Vec<DirUser> = p
        .users
        .into_iter()
        .map(|u| DirUser::new(u.summary, u.memberships))
        .collect();
    Ok(Some(Data::new(users, p.workspaces, p.synced_at)))
}

/// Snapshots are numbered as they are taken (under the data lock, so a later number never
/// holds older data); a save writes only if no later snapshot has been written already.
#[derive(Debug, Default)]
pub(super) struct SaveOrder {
    taken: std::sync::atomic::AtomicU64,
    written: Mutex<u64>,
}

impl SaveOrder {
    /// Writes snapshot `number` to `path` with `write`, unless a later one is there already.
    pub(super) fn save(
        &self,
        number: u64,
        path: &Path,
        write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) {
        let mut written = self.written.lock().unwrap();
        if number <= *written {
            return;
        }
        if write_atomically(path, write) {
            *written = number;
        }
    }

    /// Whether the newest snapshot taken is not on disk (its save failed, or is under way).
    pub(super) fn behind(&self) -> bool {
        *self.written.lock().unwrap() < self.taken.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A change made here, for the other replicas.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Made {
    /// A person changed through Roster.
    Applied { user: String, change: Change },
    /// A person read back from Slack (after an invitation).
    Upserted { user: Box<DirUser> },
}

impl Directory {
    /// An empty directory that persists to `path` (and loads it when it exists).
    pub fn persistent(path: &Path) -> Self {
        let mut directory = Directory {
            path: Some(path.to_path_buf()),
            ..Directory::default()
        };
        // Read as a stream: the file is tens of megabytes at 100,000 users.
        let file = std::fs::File::open(path).map(|f| std::io::BufReader::with_capacity(1 << 16, f));
        match file {
            Ok(reader) => match read_snapshot(reader) {
                Ok(Some(data)) => {
                    tracing::info!(
                        users = data.users.len(),
                        synced_at = data.synced_at,
                        "loaded the last directory snapshot"
                    );
                    directory.data = Arc::new(RwLock::new(data));
                }
                Ok(None) => {
                    tracing::warn!(path = %path.display(), "ignoring a snapshot of another version")
                }
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "ignoring an unreadable snapshot")
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot read the snapshot")
            }
        }
        directory
    }

    /// From now on, every change made here is also sent to `outbox` (the replicas' feed).
    pub fn outbox(&self, outbox: tokio::sync::mpsc::UnboundedSender<Made>) {
        let _ = self.outbox.set(outbox);
    }

    /// Hands a change made here to the other replicas, if there are any.
    pub(super) fn tell_replicas(&self, made: Made) {
        if let Some(outbox) = self.outbox.get() {
            let _ = outbox.send(made);
        }
    }

    /// A change another replica made: applied here as it was there, and not sent back.
    pub fn receive(&self, made: Made) {
        match made {
            Made::Applied { user, change } => {
                self.apply_here(&user, change);
            }
            Made::Upserted { user } => {
                self.upsert_here(*user);
            }
        }
    }

    /// The copy as it is now, as gzipped JSON (what a replica that synced stores for the
    /// others), and the number of users in it.
    pub fn export(&self) -> std::io::Result<(Vec<u8>, usize)> {
        let data = self.data.read().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        write_snapshot(&data, &mut gz)?;
        Ok((gz.finish()?, data.users.len()))
    }

    /// Replaces the copy with a snapshot another replica synced (`gzipped`), as of
    /// `synced_at`; the sync status then reads as that sync's.
    pub fn import(&self, gzipped: &[u8], synced_at: i64) -> std::io::Result<usize> {
        let reader =
            std::io::BufReader::with_capacity(1 << 16, flate2::read::GzDecoder::new(gzipped));
        let data = read_snapshot(reader)
            .map_err(std::io::Error::other)?
            .ok_or_else(|| std::io::Error::other("a snapshot of another version"))?;
        let users = data.users.len();
        *self.data.write().unwrap() = data;
        self.sorts.clear();
        self.recent().replaced();
        self.update_status(|s| {
            s.state = SyncState::Done;
            s.finished_at = Some(synced_at);
            s.error = None;
        });
        self.persist_soon();
        Ok(users)
    }

    /// Writes the copy to disk in the background.
    pub(super) fn persist_soon(&self) {
        // Writes are rare (Slack allows about 20 a minute); a full rewrite is cheap enough and
        // keeps the file consistent. Done on a blocking thread so requests never wait on it.
        let Some(path) = self.path.clone() else {
            return;
        };
        let (data, saves) = (self.data.clone(), self.saves.clone());
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn_blocking(move || save(&data, &saves, &path));
        }
    }

    /// Whether the copy on disk is older than the one served (a save failed: the storage
    /// watch tries again; reads are served from memory meanwhile).
    pub fn unsaved(&self) -> bool {
        self.path.is_some() && self.saves.behind()
    }

    /// Writes the copy to disk now.
    pub fn persist(&self) {
        if let Some(path) = &self.path {
            save(&self.data, &self.saves, path);
        }
    }
}

#[derive(Serialize)]
struct PersistedRef<'a> {
    version: u32,
    synced_at: Option<i64>,
    workspaces: &'a [Workspace],
    users: &'a [DirUser],
}

/// Writes the copy as it is now to `path`, numbered in [`SaveOrder`] under the data lock
/// (so a later number never holds older data). The JSON goes straight to the file: at
/// 100,000 users it is tens of megabytes the proxy never holds in memory.
pub(super) fn save(data: &RwLock<Data>, saves: &SaveOrder, path: &Path) {
    let data = data.read().unwrap();
    let number = saves
        .taken
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        + 1;
    saves.save(number, path, |file| write_snapshot(&data, file));
}

/// Writes the file whole or not at all; whether it was written.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> bool {
    let dir = path.parent().unwrap_or(Path::new("."));
    let result = std::fs::create_dir_all(dir)
        .and_then(|()| tempfile::NamedTempFile::new_in(dir))
        .and_then(|mut file| {
            use std::io::Write;
            let mut buffered = std::io::BufWriter::with_capacity(1 << 16, file.as_file_mut());
            write(&mut buffered)?;
            buffered.flush()?;
            drop(buffered);
            file.as_file().sync_all()?;
            file.persist(path).map_err(|e| e.error)?;
            Ok(())
        });
    match result {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot save the directory snapshot");
            false
        }
    }
}
