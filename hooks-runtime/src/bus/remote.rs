//! Contracts that can leave the process (`#[message(serde)]`, feature `serde`): their payload and
//! reply serialize, and their stable name is the subject a transport sends them under.

#[cfg(feature = "serde")]
pub use enabled::*;

#[cfg(feature = "serde")]
mod enabled {
    use hooks_core::Key;

    use crate::bus::Contract;

    /// A message contract whose payload and reply cross processes: `Serialize + DeserializeOwned`
    /// both, and [`Contract::NAME`] as the subject. Declared with `#[message(serde)]` (feature
    /// `serde`), which also registers it (see [`remote_contracts`]).
    ///
    /// ```
    /// use hooks_runtime::prelude::*;
    /// use hooks_runtime::RemoteContract;
    ///
    /// #[derive(Message, serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    /// #[message(reply = u64, name = "workers.count", serde)]
    /// struct Count { since: u64 }
    ///
    /// assert_eq!(<Count as RemoteContract>::subject(), "workers.count");
    /// let wire = serde_json::to_string(&Count { since: 3 }).unwrap();
    /// assert_eq!(serde_json::from_str::<Count>(&wire).unwrap(), Count { since: 3 });
    /// ```
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not a remote message contract",
        label = "its payload and reply must be `Serialize + DeserializeOwned`",
        note = "declare it with `#[derive(Message, Serialize, Deserialize)]` and `#[message(serde)]`"
    )]
    pub trait RemoteContract:
        Contract<Reply: serde::Serialize + serde::de::DeserializeOwned> + serde::Serialize + serde::de::DeserializeOwned
    {
        /// The subject it is sent under: its stable name.
        fn subject() -> &'static str {
            Self::NAME
        }
    }

    /// A remote contract as a transport sees it, registered by `#[message(serde)]`.
    pub struct RemoteContractInfo {
        name: &'static str,
        type_name: fn() -> &'static str,
        key: fn() -> &'static Key,
        /// How its payload and reply cross the wire.
        #[cfg(feature = "nats")]
        pub(crate) codec: crate::nats::ContractCodec,
    }

    impl RemoteContractInfo {
        /// The registration of `M` (what `#[message(serde)]` submits).
        #[doc(hidden)]
        pub const fn of<M: RemoteContract>() -> Self {
            RemoteContractInfo {
                name: M::NAME,
                type_name: std::any::type_name::<M>,
                key: M::key,
                #[cfg(feature = "nats")]
                codec: crate::nats::ContractCodec::of::<M>(),
            }
        }

        /// Its stable name: the subject.
        pub fn name(&self) -> &'static str {
            self.name
        }

        /// Its Rust type.
        pub fn type_name(&self) -> &'static str {
            (self.type_name)()
        }

        /// Its routing key: what its messages carry (`Message::key`).
        pub fn key(&self) -> &'static Key {
            (self.key)()
        }
    }

    impl std::fmt::Debug for RemoteContractInfo {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("RemoteContractInfo").field("name", &self.name).field("type", &self.type_name()).finish()
        }
    }

    inventory::collect!(RemoteContractInfo);

    /// Every remote contract of the program, by name. Two types of one name would share a subject:
    /// a transport refuses them (names are free within a process, where contracts route by type).
    ///
    /// ```
    /// for pair in hooks_runtime::remote_contracts().windows(2) {
    ///     assert_ne!(pair[0].name(), pair[1].name(), "{} and {}", pair[0].type_name(), pair[1].type_name());
    /// }
    /// ```
    pub fn remote_contracts() -> Vec<&'static RemoteContractInfo> {
        let mut all: Vec<_> = inventory::iter::<RemoteContractInfo>().collect();
        all.sort_by_key(|info| (info.name, info.type_name()));
        all
    }

    /// What `#[message(serde)]` expands to.
    #[doc(hidden)]
    #[macro_export]
    macro_rules! __remote_contract {
        ($ty:ident) => {
            impl $crate::RemoteContract for $ty {}
            $crate::__private::inventory::submit! {
                $crate::RemoteContractInfo::of::<$ty>()
            }
        };
    }
}

/// Without `serde`, `#[message(serde)]` is one error that names the feature.
#[cfg(not(feature = "serde"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __remote_contract {
    ($($contract:tt)*) => {
        ::core::compile_error!(
            "`#[message(serde)]` makes a contract that crosses processes, which needs the `serde` feature; enable it: `hooks-runtime = { version = \"..\", features = [\"serde\"] }`"
        );
    };
}
