use callback_runtime::webhooks;

#[derive(schemars::JsonSchema)]
pub struct Order {
    pub id: String,
}

#[webhooks]
mod shop_webhooks {
    /// A new order.
    #[post("newOrder", summary = "A new order", summary = "An order")]
    fn new_order(body: super::Order);
}

fn main() {}
