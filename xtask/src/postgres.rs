//! A throwaway PostgreSQL cluster for the tests: Debian's server (installed when missing),
//! `initdb` into a temporary folder (the server's user may not be able to reach the
//! checkout), a private socket folder, a free port on 127.0.0.1, `fsync` off, and stopped
//! when the tests end. No container runtime. It also answers TLS with a certificate of a
//! private authority made for the run, so that `sslmode=verify-full` is tested for real.

use std::{net::TcpListener, path::PathBuf};

use crate::{
    shell::{Cmd, note, step},
    tools::ok,
};

/// The Debian package of the server.
const PACKAGE: &str = "postgresql";
/// The superuser's password in the throwaway cluster (it listens on loopback only, for the
/// length of a test run).
const PASSWORD: &str = "roster-tests";

/// A running cluster; stopped when dropped.
pub struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    /// Runs the server's commands as this user (`initdb` refuses root).
    user: Option<String>,
    port: u16,
}

/// The folder of Debian's server binaries (`/usr/lib/postgresql/<version>/bin`), newest first.
fn server_bin() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("cannot find a free port: {e}"))
}

impl Cluster {
    /// Installs the server if it is missing, and starts a new cluster.
    pub fn start() -> Result<Self, String> {
        step("Starting a throwaway PostgreSQL cluster for the tests");
        let bin = match server_bin() {
            Some(bin) => bin,
            None => {
                note("installing Debian's PostgreSQL server");
                crate::tools::apt_install(&[PACKAGE])?;
                server_bin()
                    .ok_or("the PostgreSQL server is still missing after apt-get install")?
            }
        };
        let is_root = Cmd::new("id").arg("-u").read().as_deref() == Some("0");
        let user = is_root.then(|| "postgres".to_string());
        let data = std::env::temp_dir().join(format!("roster-postgres-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(data.join("socket"))
            .map_err(|e| format!("cannot create {}: {e}", data.display()))?;
        let password_file = data.join("password");
        std::fs::write(&password_file, PASSWORD)
            .map_err(|e| format!("cannot write {}: {e}", password_file.display()))?;
        let tls = data.join("tls");
        certificates(&tls)?;
        if let Some(user) = &user {
            // The cluster's folders belong to the user the server runs as.
            Cmd::new("chown")
                .args(["-R", &format!("{user}:{user}")])
                .arg(&data)
                .run()?;
        }
        let port = free_port()?;
        let cluster = Cluster {
            bin,
            data,
            user,
            port,
        };
        cluster
            .server("initdb")
            .args([
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-U",
                "postgres",
            ])
            .arg("--pwfile")
            .arg(&password_file)
            .arg("-D")
            .arg(cluster.data.join("pgdata"))
            .quiet()
            .run()?;
        let options = format!(
            "-k {} -c listen_addresses=127.0.0.1 -p {port} -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=400 -c ssl=on -c ssl_cert_file={} \
             -c ssl_key_file={}",
            cluster.data.join("socket").display(),
            tls.join("server.pem").display(),
            tls.join("server.key").display(),
        );
        cluster
            .server("pg_ctl")
            .arg("-D")
            .arg(cluster.data.join("pgdata"))
            .args(["-o", &options, "-w", "-l"])
            .arg(cluster.data.join("server.log"))
            .arg("start")
            .run()?;
        ok(&format!("PostgreSQL on 127.0.0.1:{port}"));
        Ok(cluster)
    }

    /// The private authority that signed the server's certificate (for `sslrootcert`).
    pub fn ca_file(&self) -> PathBuf {
        self.data.join("tls/ca.pem")
    }

    /// A command of the server's, run as the cluster's user.
    fn server(&self, program: &str) -> Cmd {
        let path = self.bin.join(program);
        match &self.user {
            Some(user) => Cmd::new("runuser").args(["-u", user, "--"]).arg(path),
            None => Cmd::new(path),
        }
    }

    /// The superuser's URL: the tests make a database of their own with it.
    pub fn admin_url(&self) -> String {
        format!(
            "postgres://postgres:{PASSWORD}@127.0.0.1:{}/postgres",
            self.port
        )
    }
}

/// A private certificate authority and a server certificate it signed for `127.0.0.1` and
/// `localhost`, made with `openssl` into `dir`.
fn certificates(dir: &std::path::Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let openssl = || Cmd::new("openssl").current_dir(dir).quiet();
    openssl()
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "2", "-subj", "/CN=Roster tests CA"])
        .args(["-keyout", "ca.key", "-out", "ca.pem"])
        .args(["-addext", "basicConstraints=critical,CA:TRUE"])
        .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        .run()?;
    openssl()
        .args([
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ])
        .args([
            "-subj",
            "/CN=localhost",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ])
        .run()?;
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
         extendedKeyUsage=serverAuth\n",
    )
    .map_err(|e| format!("cannot write the certificate's extensions: {e}"))?;
    openssl()
        .args([
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
        ])
        .args(["-CAcreateserial", "-days", "2", "-extfile", "server.ext"])
        .args(["-out", "server.pem"])
        .run()?;
    // The server refuses a key others can read.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        dir.join("server.key"),
        std::fs::Permissions::from_mode(0o600),
    )
    .map_err(|e| format!("cannot restrict the server's key: {e}"))
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .server("pg_ctl")
            .arg("-D")
            .arg(self.data.join("pgdata"))
            .args(["-m", "immediate", "-w", "stop"])
            .quiet()
            .run();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}
