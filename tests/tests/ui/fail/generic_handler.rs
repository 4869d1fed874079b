use actix_web::web;
use callback_runtime::get;

/// Echo the request body.
#[get("/echo")]
async fn echo<T: Into<String>>(body: web::Bytes) -> String {
    String::from_utf8_lossy(&body).into_owned()
}

fn main() {}
