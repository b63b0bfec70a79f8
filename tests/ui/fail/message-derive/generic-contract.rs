use hooks_runtime::prelude::*;

#[derive(Message)]
struct Get<T> {
    id: T,
}

fn main() {}
