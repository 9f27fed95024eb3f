//! Running commands and telling the user what is happening.

use std::{
    ffi::OsStr,
    fs,
    path::Path,
    process::{Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

/// Prints a step heading.
pub fn step(what: &str) {
    println!("\n==> {what}");
}

/// Prints a detail under the current step.
pub fn note(what: &str) {
    println!("    {what}");
}

/// A command that echoes itself before running.
pub struct Cmd {
    inner: Command,
    shown: String,
    quiet: bool,
}

impl Cmd {
    /// `program` with no arguments yet.
    pub fn new(program: impl AsRef<OsStr>) -> Self {
        let program = program.as_ref();
        let mut inner = Command::new(program);
        inner.current_dir(crate::root());
        inner.env("PATH", crate::tools::tool_path());
        Self {
            inner,
            shown: program.to_string_lossy().into_owned(),
            quiet: false,
        }
    }

    /// Adds one argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.shown.push(' ');
        self.shown.push_str(&arg.as_ref().to_string_lossy());
        self.inner.arg(arg);
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        for a in args {
            self = self.arg(a);
        }
        self
    }

    /// Sets an environment variable.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.inner.env(key, value);
        self
    }

    /// Runs it in `dir` instead of the checkout.
    pub fn current_dir(mut self, dir: impl AsRef<std::path::Path>) -> Self {
        self.inner.current_dir(dir);
        self
    }

    /// Runs it with its output hidden (shown only if it fails).
    pub fn quiet(mut self) -> Self {
        self.quiet = true;
        self
    }

    /// Runs it with the terminal attached; fails when it exits non-zero.
    pub fn run(mut self) -> Result<(), String> {
        note(&format!("$ {}", self.shown));
        if self.quiet {
            let output = self
                .inner
                .stdin(Stdio::null())
                .output()
                .map_err(|e| format!("could not start `{}`: {e}", self.shown))?;
            if output.status.success() {
                return Ok(());
            }
            return Err(format!(
                "`{}` failed ({}):\n{}{}",
                self.shown,
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let status = self
            .inner
            .status()
            .map_err(|e| format!("could not start `{}`: {e}", self.shown))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("`{}` failed ({status})", self.shown))
        }
    }

    /// Runs it with its output appended to `log`; fails when it exits non-zero.
    fn run_logged(mut self, log: &Path) -> Result<(), String> {
        let open = || {
            fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .map_err(|e| format!("cannot write {}: {e}", log.display()))
        };
        let mut file = open()?;
        use std::io::Write;
        let _ = writeln!(file, "$ {}", self.shown);
        let status = self
            .inner
            .stdin(Stdio::null())
            .stdout(open()?)
            .stderr(open()?)
            .status()
            .map_err(|e| format!("could not start `{}`: {e}", self.shown))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("`{}` failed ({status})", self.shown))
        }
    }

    /// Runs it quietly and returns its standard output, or `None` if it cannot run or fails.
    pub fn read(mut self) -> Option<String> {
        let output = self
            .inner
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
    }
}

/// Commands run one after another under a name, beside other such jobs.
pub struct Job {
    pub name: &'static str,
    pub commands: Vec<Cmd>,
}

/// Jobs running side by side in the background, each one's output in
/// `target/xtask/<name>.log`; every 15 seconds a line says how far each has got (crates
/// compiled, or what it runs), and another when each ends. A failed job shows its log's end.
pub struct Jobs {
    running: Vec<(&'static str, std::thread::JoinHandle<Result<(), String>>)>,
    stop: Arc<AtomicBool>,
}

impl Jobs {
    pub fn start(jobs: Vec<Job>) -> Result<Self, String> {
        let logs = crate::root().join("target/xtask");
        fs::create_dir_all(&logs).map_err(|e| format!("cannot create {}: {e}", logs.display()))?;
        let started = Instant::now();
        let mut running = Vec::new();
        let mut watched = Vec::new();
        for job in jobs {
            let (name, log) = (job.name, logs.join(format!("{}.log", job.name)));
            let _ = fs::remove_file(&log);
            note(&format!("{name}: started, output in {}", log.display()));
            let finished = Arc::new(AtomicBool::new(false));
            watched.push((name, log.clone(), finished.clone()));
            let worker = std::thread::spawn(move || {
                let result = job
                    .commands
                    .into_iter()
                    .try_for_each(|cmd| cmd.run_logged(&log));
                finished.store(true, Ordering::Relaxed);
                match &result {
                    Ok(()) => note(&format!(
                        "{name}: done after {}",
                        seconds(started.elapsed())
                    )),
                    Err(e) => note(&format!("{name}: FAILED: {e}\n{}", tail(&log, 40))),
                }
                result
            });
            running.push((name, worker));
        }
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        std::thread::spawn(move || {
            let mut last = Instant::now();
            while !stopped.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(250));
                if last.elapsed() < Duration::from_secs(15) {
                    continue;
                }
                last = Instant::now();
                let progress: Vec<String> = watched
                    .iter()
                    .filter(|(_, _, finished)| !finished.load(Ordering::Relaxed))
                    .map(|(name, log, _)| format!("{name}: {}", progress(log)))
                    .collect();
                if !progress.is_empty() && !stopped.load(Ordering::Relaxed) {
                    note(&format!(
                        "[{}] {}",
                        seconds(started.elapsed()),
                        progress.join(" · ")
                    ));
                }
            }
        });
        Ok(Self { running, stop })
    }

    /// Waits for the job `name` and returns how it ended.
    pub fn wait(&mut self, name: &str) -> Result<(), String> {
        let at = self
            .running
            .iter()
            .position(|(n, _)| *n == name)
            .ok_or_else(|| format!("no job named {name}"))?;
        let (_, worker) = self.running.remove(at);
        worker
            .join()
            .unwrap_or_else(|_| Err(format!("the job {name} panicked")))
    }
}

impl Drop for Jobs {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// How far a job has got, read from its log: the crates compiled so far and the last one.
fn progress(log: &Path) -> String {
    let text = fs::read_to_string(log).unwrap_or_default();
    let compiled: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("Compiling "))
        .collect();
    match compiled.last() {
        Some(last) => format!(
            "{} crates compiled, now {}",
            compiled.len(),
            last.split(" (").next().unwrap_or(last)
        ),
        None => text
            .lines()
            .rev()
            .find(|l| l.starts_with("$ "))
            .map_or("starting".to_string(), |l| l.chars().take(60).collect()),
    }
}

fn tail(log: &Path, lines: usize) -> String {
    let text = fs::read_to_string(log).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// `42s` or `3m05s`.
pub fn seconds(elapsed: Duration) -> String {
    let s = elapsed.as_secs();
    if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}
