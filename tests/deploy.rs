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
    summoner::server::check_config(&config).unwrap_or_else(|e| panic!("{name}: {e}"));
}

/// The ConfigMap's `summoner.toml` of a Kubernetes manifest.
fn config_map(manifest: &str) -> String {
    let start = manifest.find("summoner.toml: |\n").expect("the ConfigMap holds summoner.toml") + 17;
    let block: Vec<&str> = manifest[start..]
        .lines()
        .take_while(|l| l.starts_with("    ") || l.is_empty())
        .map(|l| l.trim_start())
        .collect();
    block.join("\n")
}

#[test]
fn the_example_configurations_are_valid() {
    check(&deploy("summoner.toml"), "deploy/summoner.toml");
    // The dev server's configuration and the cluster's, as their ConfigMaps hold them.
    check(&config_map(&deploy("kubernetes/dev-branch.yaml")), "the dev server's ConfigMap");
    check(&config_map(&deploy("kubernetes/cluster.yaml")), "the cluster's ConfigMap");
    // And a broken one is refused.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[rate_limits]\ntrusted_proxies = [\"not a network\"]\n").unwrap();
    assert!(Config::load(Some(&bad)).is_err());
}

#[test]
fn the_scripts_parse_and_the_unit_checks_its_configuration_first() {
    for script in ["deploy/kubernetes/dev-branch.sh", "deploy/local-cluster.sh"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(script);
        let status = std::process::Command::new("bash").arg("-n").arg(&path).status().expect("bash runs");
        assert!(status.success(), "{script} does not parse");
    }
    let unit = deploy("systemd/summoner.service");
    let instances = deploy("systemd/summoner@.service");
    assert!(unit.contains("ExecStartPre=/usr/local/bin/summoner config check /etc/summoner/summoner.toml"));
    assert!(unit.contains("ExecStart=/usr/local/bin/summoner --config /etc/summoner/summoner.toml"));
    // The sandbox `systemd-analyze security` rates 1.4 (it was 7.3 without these).
    for hardening in [
        "NoNewPrivileges=true",
        "CapabilityBoundingSet=\n",
        "ProtectSystem=strict",
        "PrivateTmp=true",
        "PrivateUsers=true",
        "ProtectKernelModules=true",
        "RestrictNamespaces=true",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
        "MemoryDenyWriteExecute=true",
        "SystemCallFilter=@system-service",
        "SystemCallFilter=~@privileged",
        "UMask=0077",
    ] {
        assert!(unit.contains(hardening), "the unit lacks {hardening}");
        assert!(instances.contains(hardening), "the instances' unit lacks {hardening}");
    }
    let nginx = deploy("nginx/summoner.conf");
    for needed in [
        "ssl_certificate ",
        "client_max_body_size 64k;",
        "upstream summoner",
        "X-Forwarded-For",
        "hash $summoner_route consistent;",
        "proxy_next_upstream error timeout non_idempotent;",
    ] {
        assert!(nginx.contains(needed), "nginx config lacks {needed}");
    }
    // A 503 is the client's to retry: as a failure it would take a node out of the upstream.
    assert!(!nginx.contains("http_503"), "nginx must not pass a 503 on to another node");
    // nginx reaches every node at the port it listens on, and the nodes believe only nginx's
    // X-Forwarded-For.
    let config: summoner::config::Config =
        toml::from_str(&deploy("summoner.toml")).expect("the shipped configuration parses");
    let upstreams: Vec<std::net::SocketAddr> = nginx
        .lines()
        .filter_map(|l| l.trim().strip_prefix("server "))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(|address| address.trim_end_matches(';'))
        .filter(|address| *address != "{")
        .map(|address| address.parse().expect("an upstream is host:port"))
        .collect();
    assert!(upstreams.len() >= 2, "nginx spreads over several nodes: {upstreams:?}");
    assert!(upstreams.iter().all(|u| u.port() == config.listen.port()), "nginx's upstreams are the nodes' listen");
    let nets = &config.rate_limits.trusted_proxies;
    assert!(!nets.is_empty() && nets.iter().all(|n| n.prefix_len() >= 24), "only nginx is trusted: {nets:?}");
    assert!(upstreams.iter().all(|u| !nets.iter().any(|n| n.contains(&u.ip()))), "a node does not trust its peers");
    assert!(config.storage.node_id.is_none(), "each node takes a free id");
    assert_ne!(config.cluster.internal_listen.port(), 0, "peers reach the internal listener at a known port");
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

/// dev-branch.sh makes a valid namespace of any branch: at most 63 characters, lowercase,
/// never ending in '-' (a long branch whose cut falls just after a '-' did).
#[test]
fn a_dev_server_namespace_is_valid_for_any_branch() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let stand_in = dir.path().join("kubectl");
    // Prints the manifest it is asked to apply, and the other commands.
    std::fs::write(&stand_in, "#!/usr/bin/env bash\nif [ \"$1\" = apply ]; then cat; else echo \"kubectl $*\"; fi\n")
        .expect("stand-in written");
    let made_executable = std::process::Command::new("chmod").arg("+x").arg(&stand_in).status().expect("chmod runs");
    assert!(made_executable.success());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/kubernetes/dev-branch.sh");
    let long = format!("Feature/{}-{}", "a".repeat(39), "b".repeat(12));
    for (branch, expected) in [
        (long.as_str(), format!("summoner-dev-feature-{}", "a".repeat(39))),
        ("--Fix__Clan War!!--", "summoner-dev-fix-clan-war".to_owned()),
    ] {
        let output = std::process::Command::new("bash")
            .arg(&script)
            .args([branch, "registry.test/summoner:1"])
            .env("KUBECTL", &stand_in)
            .output()
            .expect("the script runs");
        assert!(output.status.success(), "{branch}: {}", String::from_utf8_lossy(&output.stderr));
        let printed = String::from_utf8_lossy(&output.stdout);
        let namespace = format!("name: {expected}\n");
        assert!(printed.contains(&namespace), "{branch}: no {namespace:?} in\n{printed}");
        assert!(expected.len() <= 63 && !expected.ends_with('-'), "{expected}");
        assert!(printed.contains(&format!("kubectl -n {expected} rollout restart")), "{printed}");
    }
    let refused = std::process::Command::new("bash")
        .arg(&script)
        .args(["---", "registry.test/summoner:1"])
        .env("KUBECTL", &stand_in)
        .output()
        .expect("the script runs");
    assert!(!refused.status.success(), "a branch with no usable character is refused");
    // The dev server believes X-Forwarded-For from private ranges: only the ingress
    // controller may reach it, or any pod could name an address of its choosing.
    let manifest = deploy("kubernetes/dev-branch.yaml");
    assert!(
        manifest.contains("kind: NetworkPolicy") && manifest.contains("kubernetes.io/metadata.name: ingress-nginx")
    );
}
