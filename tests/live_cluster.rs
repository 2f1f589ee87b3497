//! `--cluster`: a real 3-primary, 3-replica Redis 7.0 cluster started here
//! (own ports on 127.0.0.1, own directories, stopped by pid); the report
//! over the wire of all nodes equals the report of the primaries' saved
//! dumps, for the primaries and for the replicas, at one or three nodes at
//! a time.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{describe, exit_code, p, prerequisite_missing, run};

struct Node {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    // Cluster bus ports are port + 10000: keep both free and below 65536.
    loop {
        let port = crate::util::free_port();
        if port < 55000 && std::net::TcpListener::bind(("127.0.0.1", port + 10000)).is_ok() {
            return port;
        }
    }
}

fn cli(port: u16, args: &[&str]) -> String {
    let o = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .output()
        .expect("redis-cli");
    assert!(o.status.success(), "redis-cli {args:?}: {o:?}");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn start_node(root: &Path, cluster: bool) -> Node {
    let port = free_port();
    let dir = root.join(port.to_string());
    std::fs::create_dir_all(&dir).expect("dir");
    let mut cmd = Command::new("redis-server");
    cmd.args([
        "--bind",
        "127.0.0.1",
        "--port",
        &port.to_string(),
        "--save",
        "",
    ])
    .args(["--repl-diskless-sync", "no", "--dir"])
    .arg(&dir);
    if cluster {
        cmd.args([
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
        ]);
    }
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server");
    let node = Node { child, port, dir };
    wait_until("the node answers", || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    node
}

/// Waits until every node knows the five others with their links up, none
/// suspected failing, and three of them replicas (a new cluster's nodes
/// are all primaries until gossip tells them otherwise).
fn settled(nodes: &[Node]) {
    for n in nodes {
        wait_until("every node sees the others", || {
            let view = cli(n.port, &["cluster", "nodes"]);
            view.lines().filter(|l| l.contains(" connected")).count() == 6
                && view.lines().filter(|l| l.contains("slave")).count() == 3
                && !view.contains("handshake")
                && !view.contains("fail")
        });
    }
}

/// Three primaries with a replica each, holding keys in every slot range.
fn cluster(root: &Path) -> Vec<Node> {
    let nodes: Vec<Node> = (0..6).map(|_| start_node(root, true)).collect();
    let addrs: Vec<String> = nodes
        .iter()
        .map(|n| format!("127.0.0.1:{}", n.port))
        .collect();
    let o = Command::new("redis-cli")
        .arg("--cluster")
        .arg("create")
        .args(&addrs)
        .args(["--cluster-replicas", "1", "--cluster-yes"])
        .output()
        .expect("redis-cli --cluster create");
    assert!(o.status.success(), "cluster create: {o:?}");
    for n in &nodes {
        wait_until("cluster_state:ok", || {
            cli(n.port, &["cluster", "info"]).contains("cluster_state:ok")
        });
    }
    settled(&nodes);
    // Keys of every type, routed by redis-cli -c.
    let mut script = String::new();
    for i in 0..2000 {
        script.push_str(&format!("SET str:{i} value-{i}\n"));
    }
    for i in 0..300 {
        script.push_str(&format!("HSET user:{{{i}}}:profile name n{i} age {i}\n"));
        script.push_str(&format!("RPUSH list:{i} a b c {i}\n"));
        script.push_str(&format!("SADD set:{i} 1 2 3 {i}\n"));
        script.push_str(&format!("ZADD zset:{i} 1 a 2 b {i} c\n"));
        script.push_str(&format!("SET ttl:{i} v EX 100000\n"));
    }
    let mut child = Command::new("redis-cli")
        .args(["-c", "-h", "127.0.0.1", "-p", &nodes[0].port.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-cli -c");
    use std::io::Write as _;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("write");
    assert!(child.wait().expect("redis-cli").success());
    // The replicas have every key.
    for n in &nodes {
        let info = cli(n.port, &["info", "replication"]);
        if info.contains("role:slave") {
            let port: u16 = info
                .lines()
                .find_map(|l| l.strip_prefix("master_port:"))
                .and_then(|p| p.trim().parse().ok())
                .expect("master_port");
            wait_until("the replica caught up", || {
                cli(n.port, &["dbsize"]) == cli(port, &["dbsize"])
                    && cli(n.port, &["info", "replication"]).contains("master_link_status:up")
            });
        }
    }
    nodes
}

fn report_json(args: &[&str]) -> Value {
    let o = run(args);
    assert_eq!(exit_code(&o), 0, "{}", describe(&o));
    serde_json::from_slice(&o.stdout).expect("json")
}

/// What differs between two saves of the same data: the names and the
/// save times (ctime, and the used-mem AUX the server writes then).
fn normalized(mut v: Value) -> Value {
    for f in v["files"].as_array_mut().expect("files") {
        let f = f.as_object_mut().expect("file");
        for k in ["file", "ctime", "used_mem"] {
            f.remove(k);
        }
    }
    v["summary"]
        .as_object_mut()
        .expect("summary")
        .remove("used_mem");
    v
}

fn same(a: &Value, b: &Value, what: &str) {
    let d = crate::live::differences(&normalized(a.clone()), &normalized(b.clone()));
    assert!(d.is_empty(), "{what}: differs:\n  {}", d.join("\n  "));
}

#[test]
fn a_whole_cluster_read_over_the_wire_equals_its_saved_dumps() {
    let has = |b: &str| crate::memory::on_path(b);
    if !has("redis-server") || !has("redis-cli") {
        prerequisite_missing("redis-server and redis-cli (the --cluster test)");
        return;
    }
    let root = tempfile::tempdir().expect("tmp");
    let nodes = cluster(root.path());
    let seed = format!("redis://127.0.0.1:{}", nodes[4].port);
    let wire = report_json(&["report", &seed, "--cluster", "--slots", "--format", "json"]);

    // The primaries, in the order of the first slot each serves.
    let names: Vec<&str> = wire["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["file"].as_str().expect("name"))
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    let mut dumps = Vec::new();
    for name in &names {
        let port: u16 = name.rsplit(':').next().unwrap().parse().unwrap();
        let n = nodes.iter().find(|n| n.port == port).expect("a node");
        assert!(cli(port, &["info", "replication"]).contains("role:master"));
        cli(port, &["save"]);
        dumps.push(n.dir.join("dump.rdb"));
    }
    let first_slots: Vec<u16> = names
        .iter()
        .map(|name| {
            let port = name.rsplit(':').next().unwrap();
            let nodes_out = cli(port.parse().unwrap(), &["cluster", "nodes"]);
            let line = nodes_out
                .lines()
                .find(|l| l.contains("myself"))
                .expect("myself");
            let range = line.split_whitespace().nth(8).expect("slots");
            range.split('-').next().unwrap().parse().unwrap()
        })
        .collect();
    let mut sorted = first_slots.clone();
    sorted.sort();
    assert_eq!(first_slots, sorted, "nodes in slot order");

    let mut args = vec!["report".to_string()];
    args.extend(dumps.iter().map(|d| p(d).to_string()));
    args.extend(["--slots", "--format", "json"].map(String::from));
    let saved = report_json(&args.iter().map(String::as_str).collect::<Vec<_>>());
    same(&wire, &saved, "the primaries' saved dumps");
    assert_eq!(wire["summary"]["keys"], 2000 + 5 * 300);
    // Three nodes of about a third each; the 300 hash-tagged hashes.
    let skew = wire["slots"]["node_skew"].as_f64().expect("node skew");
    assert!((1.0..1.2).contains(&skew), "{skew}");
    assert_eq!(wire["slots"]["hash_tagged"]["keys"], 300);

    // The same, three at a time, and from the replicas.
    settled(&nodes);
    let parallel = report_json(&[
        "report",
        &seed,
        "--cluster",
        "--slots",
        "--parallel-nodes",
        "3",
        "--format",
        "json",
    ]);
    same(&parallel, &wire, "three nodes at a time");
    settled(&nodes);
    let replicas = report_json(&[
        "report",
        &seed,
        "--cluster",
        "--replicas",
        "--slots",
        "--format",
        "json",
    ]);
    for f in replicas["files"].as_array().expect("files") {
        let port: u16 = f["file"]
            .as_str()
            .unwrap()
            .rsplit(':')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(cli(port, &["info", "replication"]).contains("role:slave"));
    }
    same(&replicas, &saved, "the replicas");

    // A server not in cluster mode, and --cluster with a file.
    let plain = start_node(root.path(), false);
    let o = run([
        "report",
        &format!("redis://127.0.0.1:{}", plain.port),
        "--cluster",
    ]);
    assert_eq!(exit_code(&o), 2, "{}", describe(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("not in cluster mode"),
        "{}",
        describe(&o)
    );
    let o = run(["report", p(&dumps[0]), "--cluster"]);
    assert_eq!(exit_code(&o), 2, "{}", describe(&o));
}
