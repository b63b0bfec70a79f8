use hooks_runtime::prelude::*;

#[derive(Message)]
#[message(name = "workers status")]
struct Status;

fn main() {}
