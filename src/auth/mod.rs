//! Who is calling: passwords, access tokens, and the resolved `Actor`.

mod actor;
pub mod password;
pub mod token;

pub use actor::Actor;
pub use token::{Claims, TokenKeys};
