use hooks_runtime::prelude::*;

#[derive(Message, serde::Serialize, serde::Deserialize)]
#[message(reply = u32, rpely = u64, name = "a..b", serde, serde)]
struct Count;

fn main() {}
