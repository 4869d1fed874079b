use callback_runtime::webhooks;

#[derive(schemars::JsonSchema)]
pub struct Order {
    pub id: String,
}

// A webhook's attribute names it; its URL is each subscriber's own.
#[webhooks]
mod shop_webhooks {
    /// A new order.
    #[post("{$request.body#/callback_url}/orders")]
    fn new_order(body: super::Order);
}

fn main() {}
