//! The files of `deploy/` hold what they claim: the example configurations pass
//! `summoner config check`'s checks, the scripts parse, the systemd unit checks its
//! configuration before it starts the server.

use std::path::Path;

use summoner::config::Config;

fn deploy(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy").join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn check(toml: &str, name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("summoner.toml");
    std::fs::write(&file, toml).unwrap();
    let config = Config::load(Some(&file)).unwrap_or_else(|e| panic!("{name}: {e}"));
    config.check_offline().unwrap_or_else(|e| panic!("{name}: {e}"));
}

#[test]
fn the_example_configurations_are_valid() {
    check(&deploy("summoner.toml"), "deploy/summoner.toml");
    // The dev server's configuration, as the ConfigMap of dev-branch.yaml holds it.
    let manifest = deploy("kubernetes/dev-branch.yaml");
    let start = manifest.find("summoner.toml: |\n").expect("the ConfigMap holds summoner.toml") + 17;
    let block: Vec<&str> = manifest[start..]
        .lines()
        .take_while(|l| l.starts_with("    ") || l.is_empty())
        .map(|l| l.trim_start())
        .collect();
    check(&block.join("\n"), "the dev server's ConfigMap");
    // And a broken one is refused.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[rate_limits]\ntrusted_proxies = [\"not a network\"]\n").unwrap();
    assert!(Config::load(Some(&bad)).is_err());
}

#[test]
fn the_scripts_parse_and_the_unit_checks_its_configuration_first() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/kubernetes/dev-branch.sh");
    let status = std::process::Command::new("bash").arg("-n").arg(&script).status().expect("bash runs");
    assert!(status.success(), "dev-branch.sh does not parse");
    let unit = deploy("systemd/summoner.service");
    assert!(unit.contains("ExecStartPre=/usr/local/bin/summoner config check /etc/summoner/summoner.toml"));
    assert!(unit.contains("ExecStart=/usr/local/bin/summoner --config /etc/summoner/summoner.toml"));
    let nginx = deploy("nginx/summoner.conf");
    for needed in ["ssl_certificate ", "client_max_body_size 64k;", "upstream summoner", "X-Forwarded-For"] {
        assert!(nginx.contains(needed), "nginx config lacks {needed}");
    }
    // nginx reaches the node where it listens, and the node believes nginx's X-Forwarded-For.
    let config: summoner::config::Config =
        toml::from_str(&deploy("summoner.toml")).expect("the shipped configuration parses");
    let upstreams: Vec<&str> = nginx
        .lines()
        .filter_map(|l| l.trim().strip_prefix("server "))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(|address| address.trim_end_matches(';'))
        .filter(|address| *address != "{")
        .collect();
    assert_eq!(upstreams, [config.listen.to_string()], "nginx's upstream is the node's listen");
    let nginx_host = config.listen.ip();
    assert!(
        config.rate_limits.trusted_proxies.iter().any(|net| net.contains(&nginx_host)),
        "the node trusts nginx (on {nginx_host}) to forward client addresses"
    );
}

#[test]
fn config_check_says_what_a_file_sets_up_and_refuses_a_bad_one() {
    let run = |file: &Path| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_summoner"));
        for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("SUMMONER_")) {
            command.env_remove(name);
        }
        let out = command.arg("config").arg("check").arg(file).output().expect("summoner runs");
        (out.status.code(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    };
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(&good, "[storage]\ncommon_url = \"postgres://app:hunter2@db/common\"\n").unwrap();
    let (code, out) = run(&good);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("common database: postgres://app:***@db/common") && !out.contains("hunter2"), "{out}");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[sign_in]\njwks_timeout_ms = 30000\n").unwrap();
    let (code, out) = run(&bad);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("sign_in.jwks_timeout_ms"), "{out}");
    let (code, _) = run(&dir.path().join("missing.toml"));
    assert_eq!(code, Some(1));
}
