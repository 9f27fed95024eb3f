//! Running commands and telling the user what is happening.

use std::{
    ffi::OsStr,
    process::{Command, Stdio},
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
