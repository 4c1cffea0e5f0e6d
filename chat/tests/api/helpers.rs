//! `spawn_app`: a fresh database and the real service on 127.0.0.1:0.

use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use chat::config::Config;
use chat::store::Store;
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, Executor, PgConnection};

/// The admin URL tests create their databases with.
pub fn admin_url() -> String {
    std::env::var("DATABASE_URL").expect(
        "DATABASE_URL must point at a Postgres that tests may create databases in \
         (chatctl test provides one)",
    )
}

/// Creates an empty database with a unique name and returns its connect options.
pub async fn fresh_database() -> PgConnectOptions {
    let admin = PgConnectOptions::from_str(&admin_url()).expect("DATABASE_URL is a valid URL");
    let name = format!("chat_test_{}", uuid::Uuid::new_v4().simple());
    let mut connection = PgConnection::connect_with(&admin)
        .await
        .expect("cannot connect to DATABASE_URL");
    connection
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("cannot create a test database");
    admin.database(&name)
}

/// A running service and a client that keeps cookies, like a browser.
pub struct TestApp {
    pub address: SocketAddr,
    pub store: Store,
    pub client: reqwest::Client,
    pub options: PgConnectOptions,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestApp {
    /// The service on a fresh, migrated database.
    pub async fn spawn() -> TestApp {
        let options = fresh_database().await;
        let app = Self::spawn_with(options.clone()).await;
        app.wait_ready().await;
        app
    }

    /// The service on the given database, which may be unreachable.
    pub async fn spawn_with(options: PgConnectOptions) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let config = Config {
            listen: address,
            database_url: "postgres://unused".parse().unwrap(),
            database_password_file: None,
            static_dir: concat!(env!("CARGO_MANIFEST_DIR"), "/static").into(),
            allowed_origins: vec!["https://chat.example.com".into()],
            command: None,
        };
        let store = Store::connect_lazy(options.clone());
        let (tx, rx) = tokio::sync::oneshot::channel();
        let server = tokio::spawn(chat::run(listener, store.clone(), config, async {
            let _ = rx.await;
        }));
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        TestApp {
            address,
            store,
            client,
            options,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    /// The absolute URL of a path.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    /// Polls `/readyz` until it answers 200.
    pub async fn wait_ready(&self) {
        for _ in 0..200 {
            if let Ok(response) = self.client.get(self.url("/readyz")).send().await {
                if response.status() == 200 {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the service never became ready");
    }

    /// Picks a display name through the form, as a person would.
    pub async fn pick_name(&self, name: &str) -> reqwest::Response {
        self.client
            .post(self.url("/session"))
            .form(&[("name", name)])
            .send()
            .await
            .unwrap()
    }

    /// A direct connection to the test database, to check what was stored.
    pub async fn db(&self) -> PgConnection {
        PgConnection::connect_with(&self.options).await.unwrap()
    }

    /// Stops the service the way SIGTERM does and waits for it to return.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let server = self.server.take().unwrap();
        tokio::time::timeout(Duration::from_secs(10), server)
            .await
            .expect("the service did not stop within 10 s")
            .unwrap()
    }
}
