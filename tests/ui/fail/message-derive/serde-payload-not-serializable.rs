use hooks_runtime::prelude::*;

#[derive(Message, serde::Serialize)]
#[message(reply = u32, serde)]
struct Count;

fn main() {}
