use hooks_runtime::prelude::*;

struct Total;

#[derive(Message, serde::Serialize, serde::Deserialize)]
#[message(reply = Total, serde)]
struct Count;

fn main() {}
