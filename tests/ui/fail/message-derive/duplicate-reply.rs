use hooks_runtime::prelude::*;

#[derive(Message)]
#[message(reply = u32, reply = u64)]
struct Count;

fn main() {}
