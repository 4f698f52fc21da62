//! A small client of the Summoner API: what the tour example, the integration tests and
//! the bot swarm use to talk to a server. It keeps the session token and the routing key,
//! and numbers requests the way PROTOCOL.md asks clients to.

use prost::Message;
use summoner_proto::api::{
    Credential, ErrorCode, LoginReq, RegisterReq, Request, Response, credential, request, response,
};

/// A call that got no decodable answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    #[error("HTTP {status}: the body is not a Response: {error}")]
    Undecodable { status: u16, error: prost::DecodeError },
}

/// What the server answered.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    /// The `Retry-After` header, in seconds, if any.
    pub retry_after: Option<u32>,
    /// The body exactly as received.
    pub bytes: Vec<u8>,
    pub response: Response,
}

impl Answer {
    /// The error code of the response.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::try_from(self.response.error).unwrap_or(ErrorCode::Internal)
    }

    /// Whether the request succeeded (200 and `OK`).
    pub fn is_ok(&self) -> bool {
        self.status == 200 && self.code() == ErrorCode::Ok
    }
}

/// One player's connection to a server.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    url: String,
    token: Vec<u8>,
    /// The routing key Login answered, sent as [`ROUTE_HEADER`].
    route: String,
    seq: u64,
}

/// The header a load balancer in front of several nodes hashes (docs/PROTOCOL.md).
pub const ROUTE_HEADER: &str = "x-summoner-route";

/// A device-id credential.
pub fn device(id: &str) -> Credential {
    Credential { kind: Some(credential::Kind::DeviceId(id.to_owned())) }
}

impl Client {
    /// A client of the server at `base_url` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base_url: &str) -> Self {
        Self {
            http: reqwest::Client::new(),
            url: format!("{}/api", base_url.trim_end_matches('/')),
            token: Vec::new(),
            route: String::new(),
            seq: 0,
        }
    }

    /// A client of the API endpoint `endpoint` (e.g. `http://127.0.0.1:8080/api`) over
    /// `http`, whose connection pool and timeouts it shares with other clients.
    pub fn with_endpoint(http: reqwest::Client, endpoint: &str) -> Self {
        Self { http, url: endpoint.to_owned(), token: Vec::new(), route: String::new(), seq: 0 }
    }

    /// The current session token (empty before Login).
    pub fn token(&self) -> &[u8] {
        &self.token
    }

    /// Uses another session token (tests of foreign or stale tokens).
    pub fn set_token(&mut self, token: Vec<u8>) {
        self.token = token;
    }

    /// The routing key sent as [`ROUTE_HEADER`] (empty before Login).
    pub fn route(&self) -> &str {
        &self.route
    }

    /// Sends another routing key (a session carried over to another client).
    pub fn set_route(&mut self, route: &str) {
        self.route = route.to_owned();
    }

    /// The seq of the last request sent.
    pub fn last_seq(&self) -> u64 {
        self.seq
    }

    /// Goes on from `seq` (the next call sends `seq + 1`): a session carried over to another
    /// client, as after a restart of the caller.
    pub fn resume_at(&mut self, seq: u64) {
        self.seq = seq;
    }

    /// Posts raw bytes with the protobuf content type.
    pub async fn post_raw(&self, body: Vec<u8>, content_type: &str) -> Result<Answer, ClientError> {
        let mut post = self.http.post(&self.url).header("content-type", content_type);
        if !self.route.is_empty() {
            post = post.header(ROUTE_HEADER, &self.route);
        }
        let reply = post.body(body).send().await?;
        let status = reply.status().as_u16();
        let retry_after = reply.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
        let bytes = reply.bytes().await?.to_vec();
        let response =
            Response::decode(bytes.as_slice()).map_err(|error| ClientError::Undecodable { status, error })?;
        Ok(Answer { status, retry_after, bytes, response })
    }

    /// Sends `payload` with an explicit seq and the current token.
    pub async fn send(&self, seq: u64, payload: request::Payload) -> Result<Answer, ClientError> {
        let request = Request { seq, session_token: self.token.clone(), payload: Some(payload) };
        self.post_raw(request.encode_to_vec(), "application/x-protobuf").await
    }

    /// Sends `payload` as the next request of the session.
    pub async fn call(&mut self, payload: request::Payload) -> Result<Answer, ClientError> {
        self.seq += 1;
        self.send(self.seq, payload).await
    }

    /// Register with `credential`.
    pub async fn register(&self, credential: Credential) -> Result<Answer, ClientError> {
        self.send(0, request::Payload::Register(RegisterReq { credential: Some(credential) })).await
    }

    /// Login with `credential`; on success keeps the token and restarts the seq at 1.
    pub async fn login(&mut self, credential: Credential) -> Result<Answer, ClientError> {
        self.login_with(LoginReq { credential: Some(credential), ..Default::default() }).await
    }

    /// Sign-in in one call: Login that registers the credential first if nobody has
    /// (`LoginRes.registered` says it did).
    pub async fn sign_in(&mut self, credential: Credential) -> Result<Answer, ClientError> {
        self.login_with(LoginReq { credential: Some(credential), register_if_new: true, ..Default::default() }).await
    }

    /// Login as `req` asks (e.g. cancelling the account's deletion); on success keeps the
    /// token and restarts the seq at 1.
    pub async fn login_with(&mut self, req: LoginReq) -> Result<Answer, ClientError> {
        let answer = self.send(0, request::Payload::Login(req)).await?;
        if let Some(response::Payload::Login(login)) = &answer.response.payload {
            self.token = login.session_token.clone();
            self.route = login.routing_key.clone();
            self.seq = 0;
        }
        Ok(answer)
    }
}
