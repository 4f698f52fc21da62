//! The admin page in real headless Chromium (Debian's `chromium` and `chromium-driver`,
//! driven over WebDriver): what a person sees after signing in with their name and the
//! token — a user who just played in the list of live actors with their nickname, found by a
//! search, their gold on their page, a kick with its reason that ends their session and
//! shows in the operator audit log, their history with a summon replayed, the live charts
//! drawing requests sent, the game-data version and its reload button, the notice. And, without a
//! browser: the page's actions refuse a request without the cookie or from another site.
//!
//! `.ci/run` installs the packages; elsewhere the browser test says it was skipped when
//! `chromedriver` is missing (in CI a missing one fails it).

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use serde_json::{Value, json};
use summoner_actors::ManualClock;
use summoner_proto::api::{ErrorCode, ExploreReq, ListMailReq, SetNicknameReq, SummonReq, request::Payload};

use common::{TestServer, assert_status, call, config, logged_in, ok, profile};

const ADMIN: &str = "admin-secret";
/// The key WebDriver names an element by.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver process and one browser session in it.
struct Browser {
    driver: Child,
    session: String,
    base: String,
    http: reqwest::Client,
}

fn chromedriver() -> Option<String> {
    let path = std::env::var("SUMMONER_TEST_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
    let found = Command::new(&path).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status();
    match found {
        Ok(status) if status.success() => Some(path),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{path} is not installed: .ci/run must install Debian's chromium and chromium-driver")
        }
        _ => None,
    }
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session.
    async fn start(driver_path: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut driver = Command::new(driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        // It says so once it listens; its later output is read on (and dropped), so it never
        // writes into a closed pipe.
        let stdout = driver.stdout.take().expect("piped");
        let (said_ready, ready) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
            let started = lines.any(|line| line.contains("started successfully"));
            let _ = said_ready.send(started);
            lines.for_each(drop);
        });
        assert!(ready.await.unwrap_or(false), "chromedriver did not start");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let binary = std::env::var("SUMMONER_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": binary,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            },
        }}});
        let created: Value =
            http.post(format!("{base}/session")).json(&capabilities).send().await.unwrap().json().await.unwrap();
        let session =
            created["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {created}")).to_owned();
        let browser = Self { driver, session, base, http };
        // Finding an element waits up to this long for it to appear: after a click that
        // submits a form, the test finds something only the next page has.
        browser.command(reqwest::Method::POST, "/timeouts", json!({ "implicit": 10_000 })).await;
        browser
    }

    async fn command(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let request = self.http.request(method.clone(), url);
        let request = if method == reqwest::Method::GET { request } else { request.json(&body) };
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        assert!(answer["value"].get("error").is_none(), "{path}: {answer}");
        answer["value"].clone()
    }

    async fn goto(&self, url: &str) {
        self.command(reqwest::Method::POST, "/url", json!({ "url": url })).await;
    }

    async fn find(&self, css: &str) -> String {
        let found =
            self.command(reqwest::Method::POST, "/element", json!({ "using": "css selector", "value": css })).await;
        found[ELEMENT].as_str().unwrap_or_else(|| panic!("no {css}")).to_owned()
    }

    async fn text(&self, css: &str) -> String {
        let element = self.find(css).await;
        self.command(reqwest::Method::GET, &format!("/element/{element}/text"), Value::Null)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.command(reqwest::Method::POST, &format!("/element/{element}/click"), json!({})).await;
    }

    async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.command(reqwest::Method::POST, &format!("/element/{element}/clear"), json!({})).await;
        self.command(reqwest::Method::POST, &format!("/element/{element}/value"), json!({ "text": text })).await;
    }

    async fn title(&self) -> String {
        self.command(reqwest::Method::GET, "/title", Value::Null).await.as_str().unwrap_or_default().to_owned()
    }

    async fn stop(mut self) {
        let _ = self.http.delete(format!("{}/session/{}", self.base, self.session)).send().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

async fn start() -> (TestServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.admin.token = ADMIN.into();
    // The test takes the live view's samples itself.
    config.admin.live_sample_ms = 60_000;
    (TestServer::start(config, Arc::new(ManualClock::new())).await, dir)
}

#[actix_web::test]
async fn a_person_signs_in_searches_reads_a_players_history_kicks_them_and_watches_the_live_charts() {
    let Some(driver) = chromedriver() else {
        eprintln!("skipped: chromedriver is not installed (apt-get install chromium chromium-driver)");
        return;
    };
    let (server, _dir) = start().await;
    let (mut client, user) = logged_in(&server, "page-player").await;
    ok(&mut client, Payload::SetNickname(SetNicknameReq { nickname: "Tourist".into() })).await;
    ok(&mut client, Payload::Explore(ExploreReq {})).await;
    common::rich(&server, user).await;
    ok(&mut client, Payload::Summon(SummonReq { pool: "pool.normal".into(), count: 1 })).await;
    let gold = profile(&mut client).await.gold;

    let browser = Browser::start(&driver).await;
    let admin = format!("{}/admin/", server.admin_url);
    browser.goto(&admin).await;
    assert!(browser.title().await.starts_with("Sign in"), "the token is asked first");
    browser.type_into("input[name=name]", "tester").await;
    browser.type_into("input[name=token]", "not-the-token").await;
    browser.click("#sign-in").await;
    assert_eq!(browser.text(".warn").await, "wrong token");
    browser.type_into("input[name=name]", "tester").await;
    browser.type_into("input[name=token]", ADMIN).await;
    browser.click("#sign-in").await;

    // The player who just played is listed with their nickname.
    let listed = browser.text("#actors").await;
    assert!(browser.title().await.starts_with("Overview"), "signed in: {}", browser.title().await);
    assert!(listed.contains(&user.to_string()) && listed.contains("Tourist"), "{listed}");
    let version = server.running.catalog.current().version;
    assert_eq!(browser.text("#gamedata-version").await, version.to_string());
    // The cluster: this node, its row, and the work it holds (alone, it holds all of it).
    let node = server.running.node.id;
    assert_eq!(browser.text("#this-node").await, node.to_string());
    assert!(browser.text("#nodes").await.contains(&format!("{node} (this)")), "{}", browser.text("#nodes").await);
    let work = browser.text("#work").await;
    assert!(work.contains("courier:game-1") && work.contains(&format!("node {node}")), "{work}");

    // Search by a nickname's prefix in another case; open the player found.
    browser.type_into("#search-q", "tOUR").await;
    browser.click("#search").await;
    let found = browser.text("#found").await;
    assert!(found.contains(&user.to_string()) && found.contains("Tourist"), "{found}");
    browser.click(&format!("#found a[href='/admin/page/users/{user}']")).await;
    assert_eq!(browser.text("#gold").await, gold.to_string());
    assert_eq!(browser.text("#how").await, "live");
    let actor = browser.text("#actor").await;
    assert!(actor.contains(&format!("owner node {node} (epoch")), "the owner is shown: {actor}");

    // A kick, with its reason: the session ends, and the operator audit log says who and why.
    browser.type_into("#kick-reason", "testing the page").await;
    browser.click("#kick").await;
    assert!(browser.text("#said").await.starts_with("kicked"), "{}", browser.text("#said").await);
    let actions = browser.text("#operator-actions").await;
    assert!(
        actions.contains("tester") && actions.contains("kick") && actions.contains("testing the page"),
        "{actions}"
    );
    let after = call(&mut client, Payload::Explore(ExploreReq {})).await;
    assert_status(&after, 401, ErrorCode::Unauthenticated);

    // The history: the summon, replayed on the spot (the log rows shipped first).
    server.running.directory.backend().store().flush().await.expect("logs shipped");
    browser.click("#history").await;
    let history = browser.text("#history").await;
    assert!(history.contains("summon") && history.contains("explore") && history.contains("set_nickname"), "{history}");
    browser.click("#history a.replay").await;
    let verdict = browser.text("#verdict").await;
    assert!(verdict.starts_with("The stream at position") && verdict.contains("draws exactly this"), "{verdict}");

    // The live charts: an operation no one sent yet is not drawn; sent, it is.
    let live = format!("{}/admin/page/live", server.admin_url);
    server.running.live.sample(wall_ms());
    browser.goto(&live).await;
    assert!(!browser.text("#chart-requests").await.contains("ListMail"), "not sent yet");
    let (mut other, _) = logged_in(&server, "page-lister").await;
    for _ in 0..10 {
        ok(&mut other, Payload::ListMail(ListMailReq {})).await;
    }
    server.running.live.sample(wall_ms());
    browser.goto(&live).await;
    let drawn = browser.text("#chart-requests").await;
    assert!(drawn.contains("ListMail"), "the chart shows the requests sent: {drawn}");
    browser.find("#chart-requests polyline[data-op='ListMail']").await;
    let latest = browser.text("#live-latest").await;
    assert!(latest.contains("ListMail"), "{latest}");

    // Game data: the reload button answers what it did.
    browser.goto(&admin).await;
    browser.click("#reload").await;
    assert_eq!(browser.text("#said").await, format!("unchanged: version {version} is already in force"));
    // The notice: set from the page, shown on it.
    browser.type_into("input[name=text]", "Maintenance at 05:00 <UTC>").await;
    browser.click("#set-notice").await;
    assert_eq!(browser.text("#notice").await, "Maintenance at 05:00 <UTC>");
    browser.stop().await;
    server.stop().await;
}

/// The page's actions need its cookie and a request from this host; the token alone never
/// lands in the browser.
#[actix_web::test]
async fn the_page_refuses_actions_without_its_cookie_or_from_another_site() {
    let (server, _dir) = start().await;
    let (_, user) = logged_in(&server, "page-guarded").await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let kick = format!("{}/admin/page/users/{user}/kick", server.admin_url);
    assert_eq!(http.post(&kick).send().await.unwrap().status().as_u16(), 401);
    assert_eq!(http.get(format!("{}/admin/", server.admin_url)).send().await.unwrap().status().as_u16(), 401);

    let login = |token: &str| {
        http.post(format!("{}/admin/login", server.admin_url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("name=tester&token={token}"))
    };
    // A sign-in posted from another site, or with no sign of where it comes from: refused.
    let forged = login(ADMIN).header("origin", "https://evil.example").send().await.unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    assert!(forged.headers().get("set-cookie").is_none());
    assert_eq!(login(ADMIN).send().await.unwrap().status().as_u16(), 403, "no Origin, no Sec-Fetch-Site");
    let wrong = login("nope").header("origin", server.admin_url.clone()).send().await.unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    assert!(wrong.headers().get("set-cookie").is_none());
    for header in ["content-security-policy", "x-frame-options", "x-content-type-options", "referrer-policy"] {
        assert!(wrong.headers().get(header).is_some(), "{header} missing");
    }
    let csp = wrong.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("default-src 'none'") && !csp.contains("script-src"), "{csp}");
    assert_eq!(wrong.headers()["x-frame-options"], "DENY");
    let signed = login(ADMIN).header("sec-fetch-site", "same-origin").send().await.unwrap();
    assert_eq!(signed.status().as_u16(), 303);
    let cookie = signed.headers().get("set-cookie").expect("a cookie").to_str().unwrap().to_owned();
    assert!(!cookie.contains(ADMIN), "the cookie is not the token: {cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    let pair = cookie.split(';').next().unwrap().to_owned();
    // Behind a proxy that terminated TLS, the cookie is Secure.
    let proxied = login(ADMIN).header("origin", server.admin_url.clone()).header("x-forwarded-proto", "https");
    let proxied = proxied.send().await.unwrap();
    let secure = proxied.headers().get("set-cookie").expect("a cookie").to_str().unwrap().to_owned();
    assert!(secure.contains("Secure"), "{secure}");

    let page = http.get(format!("{}/admin/", server.admin_url)).header("cookie", &pair).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    // Another site's form posting to the page with the cookie: refused, nothing done.
    let forged =
        http.post(&kick).header("cookie", &pair).header("origin", "https://evil.example").send().await.unwrap();
    assert_eq!(forged.status().as_u16(), 401);
    assert!(server.running.directory.live(user).is_some(), "the user was not kicked");
    let no_origin = http.post(&kick).header("cookie", &pair).send().await.unwrap();
    assert_eq!(no_origin.status().as_u16(), 401, "a post with neither Origin nor Sec-Fetch-Site");
    let own = http.post(&kick).header("cookie", &pair).header("origin", server.admin_url.clone());
    let own = own.header("content-type", "application/x-www-form-urlencoded").body("reason=test").send().await.unwrap();
    assert_eq!(own.status().as_u16(), 303);
    let audit: Value = reqwest::Client::new()
        .get(format!("{}/admin/audit/operators?user={user}", server.admin_url))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kicks = audit["actions"].as_array().unwrap();
    assert_eq!(kicks.len(), 1, "only the page's own kick was taken: {audit}");
    assert_eq!((kicks[0]["operator"].as_str(), kicks[0]["reason"].as_str()), (Some("tester"), Some("test")));
    // Signing out ends the session on the server: a copy of the cookie is refused after.
    let copy = pair.clone();
    let out = http.post(format!("{}/admin/logout", server.admin_url)).header("cookie", &pair).send().await.unwrap();
    assert_eq!(out.status().as_u16(), 303);
    let after = http.get(format!("{}/admin/", server.admin_url)).header("cookie", &copy).send().await.unwrap();
    assert_eq!(after.status().as_u16(), 401, "a signed-out cookie");
    let pair = login(ADMIN).header("origin", server.admin_url.clone()).send().await.unwrap();
    let pair = pair.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    // Guessing the token at speed: the page's sign-in takes 10 tries a minute per address
    // (four were made above from this page).
    let guesses: Vec<u16> = futures_util::future::join_all((0..7).map(|_| {
        http.post(format!("{}/admin/login", server.admin_url))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", server.admin_url.clone())
            .body("token=guess")
            .send()
    }))
    .await
    .into_iter()
    .map(|answer| answer.unwrap().status().as_u16())
    .collect();
    assert_eq!(guesses.iter().filter(|s| **s == 401).count(), 6, "{guesses:?}");
    assert_eq!(guesses.iter().filter(|s| **s == 429).count(), 1, "{guesses:?}");
    // The JSON API takes the cookie too, but never on the public port.
    let public = http.get(format!("{}/admin/", server.url)).header("cookie", &pair).send().await.unwrap();
    assert_eq!(public.status().as_u16(), 404);
    server.stop().await;
}

/// Wrong bearer tokens on the admin API take the address's sign-in tries; past them every
/// bearer request of that address, even one with the right token, waits (so a guess cannot be
/// confirmed). The header is parsed strictly: a token with a space or tab before it is a
/// wrong one (HTTP strips whitespace at the end of a header's value before any server sees it).
#[actix_web::test]
async fn wrong_bearer_tokens_are_rate_limited_and_the_header_is_parsed_strictly() {
    let (server, _dir) = start().await;
    let http = reqwest::Client::new();
    let with = |header: &str| {
        http.get(format!("{}/admin/gamedata", server.admin_url)).header("authorization", header.to_owned()).send()
    };
    assert_eq!(with(&format!("Bearer {ADMIN}")).await.unwrap().status().as_u16(), 200);
    assert_eq!(with(&format!("bearer {ADMIN}")).await.unwrap().status().as_u16(), 200, "the scheme in any case");
    for sloppy in [format!("Bearer  {ADMIN}"), format!("Bearer \t{ADMIN}"), format!("Bearer{ADMIN}"), ADMIN.to_owned()]
    {
        assert_eq!(with(&sloppy).await.unwrap().status().as_u16(), 401, "{sloppy:?}");
    }
    // Four wrong above; six more use up the ten a minute, then the address waits.
    for _ in 0..6 {
        assert_eq!(with("Bearer guess").await.unwrap().status().as_u16(), 401);
    }
    let limited = with("Bearer guess").await.unwrap();
    assert_eq!(limited.status().as_u16(), 429);
    assert!(limited.headers().get("retry-after").is_some());
    let right = with(&format!("Bearer {ADMIN}")).await.unwrap();
    assert_eq!(right.status().as_u16(), 429, "not even the right token is checked meanwhile");
    server.stop().await;
}

/// The wall clock in ms, as the server's sampler stamps its points.
fn wall_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}
