using Fabric.Core;
using Fabric.Remote.Hosts;
using Fabric.Router.Diff;
using Fabric.Router.Planning;
using Fabric.Router.State;
using Fabric.Router.Testing;

namespace Fabric.Router.Tests.Diff;

/// <summary>The diff against captured router output, and plan/apply/re-plan against a router that keeps state.</summary>
public sealed class RouterDiffTests
{
    private static readonly Network Pub1 = Fixtures.Routed("pub1", "203.0.113.0/24", 100);
    private static readonly Network Priv1 = Fixtures.Routed("priv1", "10.20.0.0/24", 200, NetworkKind.Private);

    private static readonly Node[] Instances =
    [
        Fixtures.Instance("web1", "pub1", "203.0.113.10"),
        Fixtures.Instance("web2", "pub1", "203.0.113.11"),
        Fixtures.Instance("db1", "priv1", "10.20.0.5"),
    ];

    private static FakeRouterHost NewRouter() =>
        new FakeRouterHost(new SshTarget("10.0.0.5", 22, "root", Fixtures.Pin)).WithLink("lo").WithLink("eth0").WithLink("eth1").WithLink("eth2");

    [Fact]
    public void Compute_CapturedStateWithVlans_OrderedActionsTouchingOnlyFabricsThings()
    {
        var desired = RouterPlanner.Plan(Fixtures.Router(), [Pub1], Instances.Take(2));
        var actual = new ActualRouter(
            RouterStateParser.ParseLinks(Fixtures.Captured("ip-link-vlan.json")),
            RouterStateParser.ParseAddresses(Fixtures.Captured("ip-addr-vlan.json")),
            RouterStateParser.ParseSysctls(Fixtures.Captured("sysctl.txt")),
            RouterStateParser.ParseNftJson(Fixtures.Captured("nft-table.json")));

        var actions = RouterDiff.Compute(desired, actual);

        Assert.Equal(
            [
                "del addr 203.0.113.254/24 dev eth1.100",
                "set sysctl net.ipv4.conf.eth1/100.forwarding=1 (now unset)",
                "set sysctl net.ipv4.conf.eth1/100.proxy_arp=1 (now unset)",
                "set sysctl net.ipv4.ip_forward=1 (now 0)",
                "replace table inet fabric (now sets vlan100_sources[2], vlan200_sources[0]; chains forward(forward/accept:4), from_vlan100(4), from_vlan200(4), to_vlan100(2), to_vlan200(2); "
                    + "plan sets vlan100_sources[2]; chains forward(forward/accept:2), from_vlan100(4), to_vlan100(2))",
                "del link eth1.300 (network old is no longer carried)",
            ],
            actions.Select(a => a.Description));
        Assert.Equal(["ip", "link", "del", "dev", "eth1.300"], actions[^1].Commands.Single().Arguments);
        Assert.Equal(RouterDiff.RulesetPath, actions[^2].File!.Path);
        Assert.Equal(["nft", "-f", RouterDiff.RulesetPath], actions[^2].Commands.Single().Arguments);
    }

    [Fact]
    public async Task ApplyAsync_ThenPlanAgain_SecondPlanIsEmpty()
    {
        var router = NewRouter();
        var desired = RouterPlanner.Plan(Fixtures.Router(), [Fixtures.Boot, Pub1, Priv1], Instances);
        var log = new List<string>();

        var first = await RouterSync.PlanAsync(router, desired, CancellationToken.None);
        await RouterSync.ApplyAsync(router, first.Actions, log.Add, CancellationToken.None);
        var second = await RouterSync.PlanAsync(router, desired, CancellationToken.None);

        Assert.Equal(
            [
                RouterActionKind.AddLink, RouterActionKind.AddAddress, RouterActionKind.AddLink, RouterActionKind.AddAddress,
                RouterActionKind.SetSysctl, RouterActionKind.SetSysctl, RouterActionKind.SetSysctl, RouterActionKind.SetSysctl, RouterActionKind.SetSysctl,
                RouterActionKind.ReplaceTable,
            ],
            first.Actions.Select(a => a.Kind));
        Assert.Empty(second.Actions);
        Assert.Equal(new LinkState("eth1.100", "eth1", "vlan", 100, true, "fabric:pub1"), router.Links["eth1.100"]);
        Assert.Equal(["203.0.113.1/24"], router.Addresses["eth1.100"]);
        Assert.Equal("1", router.Sysctls["net.ipv4.conf.eth1/200.proxy_arp"]);
        Assert.Equal(["10.20.0.5"], router.Table!.Sets["vlan200_sources"]);
        Assert.Equal(first.Actions.Select(a => a.Description), log.Where(l => !l.StartsWith(' ')));
        Assert.Equal(1, router.ScriptRuns); // every change in one script: one round trip
    }

    [Fact]
    public async Task PlanAsync_TrunkSetDownByHand_TrunkUpFirstAndApplyRepairsIt()
    {
        var router = NewRouter();
        var desired = RouterPlanner.Plan(Fixtures.Router(), [Pub1, Priv1], Instances);
        await RouterSync.ApplyAsync(router, (await RouterSync.PlanAsync(router, desired, CancellationToken.None)).Actions, _ => { }, CancellationToken.None);
        router.Links["eth1"] = router.Links["eth1"] with { Up = false };

        var drift = await RouterSync.PlanAsync(router, desired, CancellationToken.None);
        await RouterSync.ApplyAsync(router, drift.Actions, _ => { }, CancellationToken.None);
        var after = await RouterSync.PlanAsync(router, desired, CancellationToken.None);

        var action = Assert.Single(drift.Actions);
        Assert.Equal((RouterActionKind.SetLinkUp, "eth1", "set link eth1 up (the trunk of 2 VLANs)"), (action.Kind, action.Target, action.Description));
        Assert.Equal(["ip", "link", "set", "dev", "eth1", "up"], action.Commands.Single().Arguments);
        Assert.True(router.Links["eth1"].Up);
        Assert.Empty(after.Actions);
    }

    [Fact]
    public void Compute_NewRouterTrunkDown_TrunkUpBeforeTheFirstVlanLink()
    {
        var desired = RouterPlanner.Plan(Fixtures.Router(), [Pub1], Instances);
        var actual = new ActualRouter(
            new Dictionary<string, LinkState> { ["eth1"] = new("eth1", null, null, null, false, null) }, new Dictionary<string, IReadOnlyList<string>>(), new Dictionary<string, string>(), null);

        var actions = RouterDiff.Compute(desired, actual);

        Assert.Equal(["set link eth1 up (the trunk of 1 VLANs)", "add link eth1.100 (vlan 100, network pub1)"], actions.Take(2).Select(a => a.Description));
    }

    [Fact]
    public void Compute_NoVlanCarriedTrunkDown_TrunkLeftAlone()
    {
        var desired = RouterPlanner.Plan(Fixtures.Router(), [], []);
        var actual = new ActualRouter(
            new Dictionary<string, LinkState> { ["eth1"] = new("eth1", null, null, null, false, null) }, new Dictionary<string, IReadOnlyList<string>>(), new Dictionary<string, string>(), null);

        var actions = RouterDiff.Compute(desired, actual);

        Assert.DoesNotContain(actions, a => a.Target == "eth1");
    }

    [Fact]
    public async Task ApplyAsync_NetworkRemovedAndInstanceDeleted_ItsLinkGoesLastAndThePlanEmptiesAgain()
    {
        var router = NewRouter();
        var before = RouterPlanner.Plan(Fixtures.Router(), [Pub1, Priv1], Instances);
        await RouterSync.ApplyAsync(router, (await RouterSync.PlanAsync(router, before, CancellationToken.None)).Actions, _ => { }, CancellationToken.None);

        var after = RouterPlanner.Plan(Fixtures.Router(), [Pub1], Instances.Where(i => i.Name != "web2"));
        var removal = await RouterSync.PlanAsync(router, after, CancellationToken.None);
        await RouterSync.ApplyAsync(router, removal.Actions, _ => { }, CancellationToken.None);

        Assert.Equal([RouterActionKind.ReplaceTable, RouterActionKind.DeleteLink], removal.Actions.Select(a => a.Kind));
        Assert.Equal("del link eth1.200 (network priv1 is no longer carried)", removal.Actions[1].Description);
        Assert.False(router.Links.ContainsKey("eth1.200"));
        Assert.Equal(["203.0.113.10"], router.Table!.Sets["vlan100_sources"]);
        Assert.Empty((await RouterSync.PlanAsync(router, after, CancellationToken.None)).Actions);
    }

    [Fact]
    public async Task ApplyAsync_RuleAddedReplacedRemoved_EachOnlyTheTableAndThePlanEmptiesAgain()
    {
        var router = NewRouter();
        Network[] networks = [Pub1, Priv1];
        Registry.RouterRules.RouterRule Rule(long id, int port) => new(id, "pub1", "priv1", "tcp", port, DateTimeOffset.UnixEpoch);
        var none = RouterPlanner.Plan(Fixtures.Router(), networks, Instances);
        await RouterSync.ApplyAsync(router, (await RouterSync.PlanAsync(router, none, CancellationToken.None)).Actions, _ => { }, CancellationToken.None);

        foreach (var rules in new[] { [Rule(1, 443)], [Rule(2, 8443)], Array.Empty<Registry.RouterRules.RouterRule>() })
        {
            var desired = RouterPlanner.Plan(Fixtures.Router(), networks, Instances, rules);
            var plan = await RouterSync.PlanAsync(router, desired, CancellationToken.None);
            await RouterSync.ApplyAsync(router, plan.Actions, _ => { }, CancellationToken.None);

            Assert.Equal([RouterActionKind.ReplaceTable], plan.Actions.Select(a => a.Kind));
            Assert.Empty((await RouterSync.PlanAsync(router, desired, CancellationToken.None)).Actions);
            Assert.Equal(
                rules.Select(r => $"allow #{r.Id} pub1 -> priv1 tcp/{r.Port}"),
                router.Table!.Chains["from_vlan100"].Contains('[', StringComparison.Ordinal)
                    ? router.Table.Chains["from_vlan100"].Split('[')[1].TrimEnd(']').Split('|').Where(c => c.StartsWith("allow", StringComparison.Ordinal))
                    : []);
        }
    }

    [Fact]
    public async Task PlanAsync_SubInterfaceRemovedByHand_AddsItBackWithItsAddress()
    {
        var router = NewRouter();
        var desired = RouterPlanner.Plan(Fixtures.Router(), [Pub1], Instances);
        await RouterSync.ApplyAsync(router, (await RouterSync.PlanAsync(router, desired, CancellationToken.None)).Actions, _ => { }, CancellationToken.None);
        router.Links.Remove("eth1.100");
        router.Addresses.Remove("eth1.100");
        router.Sysctls.Remove("net.ipv4.conf.eth1/100.proxy_arp");
        router.Sysctls.Remove("net.ipv4.conf.eth1/100.forwarding");

        var repair = await RouterSync.PlanAsync(router, desired, CancellationToken.None);

        Assert.Equal(
            ["add link eth1.100 (vlan 100, network pub1)", "add addr 203.0.113.1/24 dev eth1.100 (gateway of pub1)", "set sysctl net.ipv4.conf.eth1/100.forwarding=1 (now unset)", "set sysctl net.ipv4.conf.eth1/100.proxy_arp=1 (now unset)"],
            repair.Actions.Select(a => a.Description));
    }

    [Fact]
    public void Compute_LinkOfThePlansNameOnAnotherVlanAndALinkDown_ReplacedAndBroughtUp()
    {
        var desired = RouterPlanner.Plan(Fixtures.Router(), [Pub1, Priv1], []);
        var links = new Dictionary<string, LinkState>
        {
            ["eth1"] = new("eth1", null, null, null, true, null),
            ["eth1.100"] = new("eth1.100", "eth1", "vlan", 101, true, "fabric:pub1"),
            ["eth1.200"] = new("eth1.200", "eth1", "vlan", 200, false, "fabric:priv1"),
        };
        var addresses = new Dictionary<string, IReadOnlyList<string>> { ["eth1.100"] = ["203.0.113.1/24"], ["eth1.200"] = ["10.20.0.1/24"] };
        var sysctls = desired.Sysctls.ToDictionary(s => s.Key, s => s.Value);

        var actions = RouterDiff.Compute(desired, new ActualRouter(links, addresses, sysctls, RouterStateParser.ParseRuleset(desired.Ruleset)));

        Assert.Equal(
            [
                "del link eth1.100 (it is vlan 101, the plan has vlan 100)",
                "add link eth1.100 (vlan 100, network pub1)",
                "add addr 203.0.113.1/24 dev eth1.100 (gateway of pub1)",
                "set link eth1.200 up",
            ],
            actions.Select(a => a.Description));
    }

    [Fact]
    public void Compute_SpoofedSourceAddedToTheTableByHand_TableReplaced()
    {
        var desired = RouterPlanner.Plan(Fixtures.Router(), [Pub1], Instances);
        var table = RouterStateParser.ParseRuleset(desired.Ruleset);
        var tampered = table with { Sets = new Dictionary<string, IReadOnlyList<string>> { ["vlan100_sources"] = ["203.0.113.10", "203.0.113.11", "203.0.113.66"] } };
        var links = new Dictionary<string, LinkState> { ["eth1.100"] = new("eth1.100", "eth1", "vlan", 100, true, "fabric:pub1") };
        var addresses = new Dictionary<string, IReadOnlyList<string>> { ["eth1.100"] = ["203.0.113.1/24"] };
        var sysctls = desired.Sysctls.ToDictionary(s => s.Key, s => s.Value);

        Assert.Empty(RouterDiff.Compute(desired, new ActualRouter(links, addresses, sysctls, table)));
        var actions = RouterDiff.Compute(desired, new ActualRouter(links, addresses, sysctls, tampered));

        Assert.Equal(RouterActionKind.ReplaceTable, Assert.Single(actions).Kind);
    }
}
