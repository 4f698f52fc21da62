//! One file per group of operations; one pure function per operation, with the signature
//! `fn(&mut HandlerCtx, &XxxReq) -> HandlerResult<XxxRes>`, registered in
//! [`crate::game::dispatch`].

pub mod debug;
pub mod explore;
pub mod friends;
pub mod session;
pub mod user;
