//! A tokio multi-thread server, as tokio's defaults make it: two workers, a
//! housekeeping tick every 50 ms. One line per connection: "sleep" blocks
//! the worker that runs the task in std::thread::sleep for 900 ms (the
//! mistake under test); anything else is answered at once.
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

fn block_the_worker() {
    std::thread::sleep(Duration::from_millis(900));
}

async fn serve(stream: tokio::net::TcpStream) {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    if BufReader::new(read).read_line(&mut line).await.is_err() {
        return;
    }
    if line.trim() == "sleep" {
        block_the_worker();
    }
    let _ = write.write_all(b"done\n").await;
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("{}", listener.local_addr().unwrap().port());
        tokio::spawn(async {
            let mut tick = tokio::time::interval(Duration::from_millis(50));
            loop {
                tick.tick().await;
            }
        });
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            tokio::spawn(serve(stream));
        }
    });
}
