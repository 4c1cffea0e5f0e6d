//! The chat crate's one integration-test binary: the real app over real HTTP, on a
//! fresh Postgres database per test. Needs `DATABASE_URL` (an account that may create
//! databases); `chatctl test` provides one.

// Tests may unwrap (see the workspace lints).
#![allow(clippy::unwrap_used)]

mod helpers;
mod pages;
mod store;
