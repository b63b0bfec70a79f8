use hooks_runtime::prelude::*;

#[derive(Message)]
#[message(reply = 5)]
struct Count;

fn main() {}
