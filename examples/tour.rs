//! The five-minute tour: register a guest account, log in, read and change the profile,
//! explore, and retry a request to see idempotency at work.
//!
//! Start a server first (`cargo run --release`), then: `cargo run --example tour`
//! (set `SUMMONER_URL` to reach another address).

use summoner::client::{Client, device};
use summoner_proto::api::{ExploreReq, GetUserReq, SetNicknameReq, request::Payload, response};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("SUMMONER_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    let device_id = format!("tour-{}", std::process::id());
    let mut client = Client::new(&url);

    let registered = client.register(device(&device_id)).await?;
    println!("Register {device_id}: HTTP {} {:?}", registered.status, registered.response.payload);

    let login = client.login(device(&device_id)).await?;
    if let Some(response::Payload::Login(l)) = &login.response.payload {
        println!(
            "Login: a {}-byte session token, valid {} s after the last request",
            l.session_token.len(),
            l.ttl_secs
        );
    }

    let renamed = client.call(Payload::SetNickname(SetNicknameReq { nickname: "Tourist".into() })).await?;
    println!("SetNickname (seq {}): {:?}", renamed.response.seq, renamed.code());

    let explored = client.call(Payload::Explore(ExploreReq {})).await?;
    if let Some(response::Payload::Explore(e)) = &explored.response.payload {
        println!("Explore (seq {}): +{} gold, +{} exp", explored.response.seq, e.gold_gained, e.exp_gained);
    }

    // The network "lost" that answer: the client sends the same seq again.
    let retried = client.send(client.last_seq(), Payload::Explore(ExploreReq {})).await?;
    println!("Retry of seq {}: identical bytes: {}", client.last_seq(), retried.bytes == explored.bytes);
    let again = client.send(client.last_seq(), Payload::Explore(ExploreReq {})).await?;
    println!("Second retry: {:?}", again.code());

    let user = client.call(Payload::GetUser(GetUserReq {})).await?;
    if let Some(response::Payload::GetUser(u)) = user.response.payload {
        let u = u.user.unwrap_or_default();
        println!(
            "GetUser: {} (id {}), level {}, {} gold, stamina {}/{}",
            u.nickname, u.user_id, u.level, u.gold, u.stamina, u.stamina_max
        );
    }
    Ok(())
}
