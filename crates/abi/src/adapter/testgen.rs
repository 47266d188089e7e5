//! The generated Foundry test: deploys the target (the real contract when its artifact is in
//! the Foundry project, else a mock implementing the new interface) and the adapter, and calls
//! every function of the old interface through the adapter.
//!
//! - forwarded: the adapter's success flag and return (or revert) bytes equal the target's
//!   answer to the same call made from the adapter's address (`vm.prank`), in the same state
//!   (`vm.snapshotState`/`vm.revertToState`);
//! - converted: the adapter calls the new function (`vm.expectCall` on its selector and value)
//!   and its answer decodes as the old outputs;
//! - stubbed: the call reverts with exactly `NotSupportedByAdapter(selector)`.

use alloy::json_abi::{JsonAbi, StateMutability};

use super::{
    forwarding::{Disposition, Planned},
    types::{Registry, Ty, param_names},
};

/// How the test gets a target.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// `vm.deployCode("<File.sol:Contract>", abi.encode(<samples>))`.
    Artifact { id: String, ctor: Vec<Ty> },
    /// A mock implementing the new interface, declared in the test file.
    Mock,
}

/// What the test needs to know.
pub(crate) struct TestSpec<'a> {
    pub(crate) name: &'a str,
    pub(crate) old_iface: &'a str,
    pub(crate) new_iface: &'a str,
    pub(crate) target: Target,
    pub(crate) setup: Vec<(String, String)>,
    pub(crate) value: String,
    pub(crate) planned: &'a [Planned],
}

/// A sample value of the type, as a Solidity expression of exactly that type.
pub(crate) fn sample(reg: &Registry, t: &Ty) -> String {
    match t {
        Ty::Elem(e) => {
            if let Some(bits) = e.strip_prefix("uint") {
                format!("uint{bits}(1)")
            } else if let Some(bits) = e.strip_prefix("int") {
                format!("int{bits}(-1)")
            } else if let Some(n) = e.strip_prefix("bytes").and_then(|n| n.parse::<u32>().ok()) {
                format!("bytes{n}(uint{}(1))", n * 8)
            } else {
                match e.as_str() {
                    "address" => "address(uint160(0xBEEF))".into(),
                    "bool" => "true".into(),
                    "string" => "string(\"molt\")".into(),
                    "bytes" => "bytes(hex\"01\")".into(),
                    // `function` (24 bytes): an external function pointer, rarely in an ABI.
                    _ => "bytes24(uint192(1))".into(),
                }
            }
        }
        Ty::Struct(i) => {
            let fields: Vec<String> =
                reg.structs[*i].fields.iter().map(|(_, f)| sample(reg, f)).collect();
            format!("{}.{}({})", reg.iface, reg.structs[*i].name, fields.join(", "))
        }
        Ty::Array(inner, None) => format!("new {}[](1)", reg.sol(inner, true)),
        Ty::Array(inner, Some(k)) => {
            let one = sample(reg, inner);
            format!("[{}]", vec![one; *k].join(", "))
        }
    }
}

fn test_name(used: &mut std::collections::BTreeSet<String>, base: String) -> String {
    let mut name = base.clone();
    let mut i = 2;
    while !used.insert(name.clone()) {
        name = format!("{base}_{i}");
        i += 1;
    }
    name
}

/// Renders `<Name>Adapter.t.sol` (without the header).
pub(crate) fn render(
    spec: &TestSpec<'_>,
    old: &Registry,
    new: &Registry,
    new_abi: &JsonAbi,
) -> String {
    let name = spec.name;
    let mut out = String::new();
    out.push_str(&format!(
        "import {{{old_i}}} from \"./{old_i}.sol\";\nimport {{{new_i}}} from \"./{new_i}.sol\";\nimport {{{name}Adapter}} from \"./{name}Adapter.sol\";\n\n",
        old_i = spec.old_iface,
        new_i = spec.new_iface
    ));
    out.push_str(VM);
    if matches!(spec.target, Target::Mock) {
        out.push('\n');
        out.push_str(&mock(name, spec.new_iface, new, new_abi));
    }
    let mut body = Vec::<String>::new();
    body.push(format!(
        "Vm internal constant vm = Vm(address(uint160(uint256(keccak256(\"hevm cheat code\")))));\n\n{} internal target;\n{name}Adapter internal adapter;",
        spec.new_iface
    ));
    let deploy = match &spec.target {
        Target::Artifact { id, ctor } if ctor.is_empty() => {
            format!("target = {}(vm.deployCode(\"{id}\"));", spec.new_iface)
        }
        Target::Artifact { id, ctor } => {
            let args: Vec<String> = ctor.iter().map(|t| sample(new, t)).collect();
            format!(
                "target = {}(vm.deployCode(\"{id}\", abi.encode({})));",
                spec.new_iface,
                args.join(", ")
            )
        }
        Target::Mock => format!("target = new {name}TargetMock();"),
    };
    let mut setup = vec!["vm.deal(address(this), 1000 ether);".to_owned(), deploy];
    for (sig, sel) in &spec.setup {
        setup.push(format!(
            "(bool ok,) = address(target).call(abi.encodeWithSelector(bytes4({sel}))); // {sig}\nrequire(ok, \"setup call {sig} failed\");"
        ));
    }
    // Several setup calls each declare `ok`: scope them.
    let setup: Vec<String> = setup
        .into_iter()
        .map(|s| if s.starts_with("(bool ok") { format!("{{\n{}\n}}", indent1(&s)) } else { s })
        .collect();
    body.push(format!(
        "function setUp() public {{\n{}\n    adapter = new {name}Adapter(target);\n}}",
        indent1(&setup.join("\n"))
    ));
    body.push(HELPERS.replace("{Name}", name).trim_end().to_owned());
    let mut used = std::collections::BTreeSet::new();
    for p in spec.planned {
        let fname = p.plan.signature.split('(').next().unwrap_or_default();
        let args: Vec<String> = p.inputs.iter().map(|t| sample(old, t)).collect();
        let mut call_args = vec![format!("bytes4({})", p.plan.selector)];
        call_args.extend(args);
        let data = format!("abi.encodeWithSelector({})", call_args.join(", "));
        let value = if p.payable { spec.value.clone() } else { "0".into() };
        let sig = &p.plan.signature;
        let f = match p.plan.disposition {
            Disposition::Forwarded => {
                let t = test_name(&mut used, format!("test_forwards_{fname}"));
                format!(
                    "/// `{sig}`: forwarded as-is.\nfunction {t}() public {{\n    _assertForwarded({data}, {value});\n}}"
                )
            }
            Disposition::Converted => {
                let t = test_name(&mut used, format!("test_converts_{fname}"));
                let new_sel = p.new_selector.clone().unwrap_or_default();
                let decode = if p.outputs.is_empty() {
                    String::new()
                } else {
                    let types: Vec<String> = p.outputs.iter().map(|t| old.sol(t, true)).collect();
                    format!("\n    if (ok) abi.decode(out, ({}));", types.join(", "))
                };
                format!(
                    "/// `{sig}`: converted; the adapter calls the new function and its answer decodes as the old outputs.\nfunction {t}() public {{\n    (bool ok, bytes memory out) = _assertConverted({data}, {value}, bytes4({old_sel}), bytes4({new_sel}));{decode}\n}}",
                    old_sel = p.plan.selector
                )
            }
            Disposition::Stubbed => {
                let t = test_name(&mut used, format!("test_RevertWhen_{fname}_isStubbed"));
                format!(
                    "/// `{sig}`: a stub.\nfunction {t}() public {{\n    _assertStubbed({data}, bytes4({}));\n}}",
                    p.plan.selector
                )
            }
        };
        // The converted tests that decode nothing do not use `ok`/`out`.
        let f = f.replace(
            "    (bool ok, bytes memory out) = _assertConverted(",
            if p.outputs.is_empty() {
                "    _assertConverted("
            } else {
                "    (bool ok, bytes memory out) = _assertConverted("
            },
        );
        body.push(f);
    }
    out.push_str(&format!(
        "\n/// @notice Calls every function of `{}` through `{name}Adapter` (generated by `molt adapter`).\ncontract {name}AdapterTest {{\n{}}}\n",
        spec.old_iface,
        super::types::indent(&body.join("\n\n"), 1)
    ));
    out
}

fn indent1(s: &str) -> String {
    s.lines()
        .map(|l| if l.is_empty() { String::new() } else { format!("    {l}") })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A target implementing the new interface that returns zero values (used when the new
/// contract's artifact cannot be deployed from the test: a plain ABI).
fn mock(name: &str, new_iface: &str, reg: &Registry, abi: &JsonAbi) -> String {
    let mut fns = Vec::new();
    for f in abi.functions() {
        let ins: Vec<String> = f
            .inputs
            .iter()
            .zip(param_names(&f.inputs, "arg"))
            .map(|(p, n)| {
                let mut r = reg.clone();
                let t = r.param(p);
                format!("{} /* {n} */", reg.decl(&t, "", "calldata", true))
            })
            .collect();
        let outs: Vec<String> = f
            .outputs
            .iter()
            .map(|p| {
                let mut r = reg.clone();
                let t = r.param(p);
                reg.decl(&t, "", "memory", true)
            })
            .collect();
        let m = if f.state_mutability == StateMutability::Payable { " payable" } else { " pure" };
        let returns =
            if outs.is_empty() { String::new() } else { format!(" returns ({})", outs.join(", ")) };
        fns.push(format!("function {}({}) external{m}{returns} {{}}", f.name, ins.join(", ")));
    }
    format!(
        "/// @notice A stand-in for the new contract (only its ABI was given): every function returns zero values.\ncontract {name}TargetMock is {new_iface} {{\n{}}}\n",
        super::types::indent(&fns.join("\n"), 1)
    )
}

const VM: &str = r#"/// @dev The Foundry cheatcodes this test uses (no forge-std needed).
interface Vm {
    function deal(address account, uint256 newBalance) external;
    function prank(address msgSender) external;
    function snapshotState() external returns (uint256 snapshotId);
    function revertToState(uint256 snapshotId) external returns (bool success);
    function expectCall(address callee, uint256 msgValue, bytes calldata data) external;
    function deployCode(string calldata artifactPath) external returns (address deployedAddress);
    function deployCode(string calldata artifactPath, bytes calldata constructorArgs)
        external
        returns (address deployedAddress);
}
"#;

const HELPERS: &str = r#"/// @dev The adapter answers exactly what the target answers to the same call from the adapter.
function _assertForwarded(bytes memory data, uint256 value) internal {
    uint256 snapshot = vm.snapshotState();
    vm.prank(address(adapter));
    (bool okTarget, bytes memory outTarget) = address(target).call{value: value}(data);
    vm.revertToState(snapshot);
    (bool ok, bytes memory out) = address(adapter).call{value: value}(data);
    require(ok == okTarget, "the adapter and the target disagree on success");
    require(keccak256(out) == keccak256(outTarget), "the adapter and the target answered differently");
}

/// @dev The adapter calls the new function with the value, and is not a stub.
function _assertConverted(bytes memory data, uint256 value, bytes4 selector, bytes4 newSelector)
    internal
    returns (bool ok, bytes memory out)
{
    vm.expectCall(address(target), value, abi.encodePacked(newSelector));
    (ok, out) = address(adapter).call{value: value}(data);
    require(
        ok || keccak256(out) != keccak256(abi.encodeWithSelector({Name}Adapter.NotSupportedByAdapter.selector, selector)),
        "a converted function reverted as a stub"
    );
}

/// @dev The stub reverts with exactly `NotSupportedByAdapter(selector)`.
function _assertStubbed(bytes memory data, bytes4 selector) internal {
    (bool ok, bytes memory out) = address(adapter).call(data);
    require(!ok, "a stub did not revert");
    require(
        keccak256(out) == keccak256(abi.encodeWithSelector({Name}Adapter.NotSupportedByAdapter.selector, selector)),
        "a stub reverted with another error"
    );
}
"#;
