using System.Text;
using Fabric.Core;
using Fabric.Registry.RouterRules;
using Fabric.Router.Planning;
using Fabric.Router.State;

namespace Fabric.Router.Tests.Planning;

/// <summary>The planner against fixture registries, compared whole with Golden/&lt;case&gt;.txt (the sub-interfaces,
/// the sysctls and the rendered <c>templates/router/fabric.nft</c>). Set FABRIC_UPDATE_GOLDEN=1 to rewrite them after
/// an intended change, then review the diff.</summary>
public sealed class RouterPlannerTests
{
    private static readonly Network Pub1 = Fixtures.Routed("pub1", "203.0.113.0/24", 100);
    private static readonly Network Priv1 = Fixtures.Routed("priv1", "10.20.0.0/24", 200, NetworkKind.Private);
    private static readonly Network Pub2 = Fixtures.Routed("pub2", "198.51.100.0/25", 120);

    private static readonly Node[] Instances =
    [
        Fixtures.Instance("web1", "pub1", "203.0.113.10"),
        Fixtures.Instance("web2", "pub1", "203.0.113.11"),
        Fixtures.Instance("db1", "priv1", "10.20.0.5"),
        Fixtures.Instance("api1", "pub2", "198.51.100.20"),
    ];

    private static readonly RouterRule[] Rules =
    [
        new(1, "pub1", "priv1", "tcp", 443, DateTimeOffset.UnixEpoch),
        new(2, "PUB2", "priv1", null, null, DateTimeOffset.UnixEpoch),
        new(3, "priv1", "pub1", "icmp", null, DateTimeOffset.UnixEpoch),
        new(4, "pub1", "gone", null, null, DateTimeOffset.UnixEpoch), // a network the router does not carry: left out
        new(5, "pub1", "pub1", null, null, DateTimeOffset.UnixEpoch), // one network to itself: left out
        new(6, "pub1", "priv1", "udp", 53, DateTimeOffset.UnixEpoch),
    ];

    public static TheoryData<string> Cases() => ["empty", "one-vlan", "many", "removal", "rules"];

    private static DesiredRouter Plan(string name) => name switch
    {
        "empty" => RouterPlanner.Plan(Fixtures.Router(), [], []),
        "one-vlan" => RouterPlanner.Plan(Fixtures.Router(), [Fixtures.Boot, Pub1], [.. Instances.Take(2)]),
        "many" => RouterPlanner.Plan(Fixtures.Router("ens4", "ens5"), [Fixtures.Boot, Pub1, Priv1, Pub2], Instances),
        // "many" after pub2 is removed and web2 deleted: its sub-interface, sysctls, set and chains go.
        "removal" => RouterPlanner.Plan(Fixtures.Router("ens4", "ens5"), [Fixtures.Boot, Pub1, Priv1], Instances.Where(i => i.Name is not "web2" and not "api1")),
        // "many" with the operator's rules between its networks.
        "rules" => RouterPlanner.Plan(Fixtures.Router("ens4", "ens5"), [Fixtures.Boot, Pub1, Priv1, Pub2], Instances, Rules),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Plan_Fixture_MatchesGoldenFile(string name)
    {
        var text = Describe(Plan(name));

        var path = Path.Combine(Fixtures.SourceDir(), "Golden", $"{name}.txt");
        if (Environment.GetEnvironmentVariable("FABRIC_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, text);
        }

        Assert.True(File.Exists(path), $"no golden file {path}: run with FABRIC_UPDATE_GOLDEN=1 and review it");
        Assert.Equal(File.ReadAllText(path), text);
    }

    [Fact]
    public void Plan_EmptyRegistry_NoSubInterfacesNoSysctlsAnEmptyTable()
    {
        var plan = Plan("empty");

        Assert.Empty(plan.Networks);
        Assert.Empty(plan.Sysctls);
        Assert.Contains("table inet fabric {", plan.Ruleset, StringComparison.Ordinal);
        Assert.DoesNotContain("jump", plan.Ruleset, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_BootNetworkAndRoutedNetworkWithoutVlanOrGateway_NotCarried()
    {
        var noGateway = Pub1 with { Name = "nogw", Gateway = null };
        var noVlan = Priv1 with { Name = "novlan", Vlan = null };

        var plan = RouterPlanner.Plan(Fixtures.Router(), [Fixtures.Boot, noGateway, noVlan], []);

        Assert.Empty(plan.Networks);
    }

    [Fact]
    public void Plan_InstancesOfOneNetwork_OnlyTheirAddressesAreItsSourcesInAddressOrder()
    {
        Node[] instances =
        [
            Fixtures.Instance("b", "pub1", "203.0.113.100"),
            Fixtures.Instance("a", "pub1", "203.0.113.9"),
            Fixtures.Instance("other", "priv1", "10.20.0.7"),
            new() { Name = "hv1", Role = NodeRole.Hardware, Macs = [MacAddress.Parse("52:54:00:00:01:01")], Ip = System.Net.IPAddress.Parse("203.0.113.50"), Network = "pub1" },
        ];

        var plan = RouterPlanner.Plan(Fixtures.Router(), [Pub1, Priv1], instances);

        var pub1 = plan.Networks.Single(n => n.Network == "pub1");
        Assert.Equal(["203.0.113.9", "203.0.113.100"], pub1.Sources.Select(s => s.ToString()));
        Assert.Equal("eth1.100", pub1.Interface);
        Assert.Equal("203.0.113.1/24", pub1.Address);
        Assert.Contains(new KeyValuePair<string, string>("net.ipv4.conf.eth1/100.proxy_arp", "1"), plan.Sysctls);
        Assert.Contains(new KeyValuePair<string, string>("net.ipv4.conf.eth1/200.forwarding", "1"), plan.Sysctls);
    }

    [Fact]
    public void Plan_InstanceMigratedWithinItsVlan_PlanUnchanged()
    {
        var before = Instances.ToList();
        var after = Instances.Select(i => i.Name == "web1" ? i with { Instance = i.Instance! with { Hypervisor = "hv2" } } : i).ToList();

        var a = RouterPlanner.Plan(Fixtures.Router(), [Pub1, Priv1, Pub2], before);
        var b = RouterPlanner.Plan(Fixtures.Router(), [Pub1, Priv1, Pub2], after);

        Assert.Equal(Describe(a), Describe(b));
    }

    [Fact]
    public void Plan_Rules_EachInItsFromChainRepliesInItsToChainAndOthersLeftOut()
    {
        var plan = Plan("rules");

        var pub1 = plan.Networks.Single(n => n.Network == "pub1");
        var priv1 = plan.Networks.Single(n => n.Network == "priv1");
        Assert.Equal(["allow #1 pub1 -> priv1 tcp/443", "allow #6 pub1 -> priv1 udp/53"], pub1.Allows.Select(a => a.Comment));
        Assert.Equal(["tcp dport 443 ", "udp dport 53 "], pub1.Allows.Select(a => a.Match));
        Assert.Equal(["ens4.100", "ens4.120"], priv1.RepliesTo.Select(r => r.Interface));
        Assert.Equal("meta l4proto icmp ", Assert.Single(priv1.Allows).Match);
        Assert.Contains("oifname \"ens4.200\" ip daddr @vlan200_sources tcp dport 443 accept comment \"allow #1 pub1 -> priv1 tcp/443\"", plan.Ruleset, StringComparison.Ordinal);
        Assert.Contains("oifname \"ens4.100\" ct state established,related accept comment \"replies to pub1\"", plan.Ruleset, StringComparison.Ordinal);
        Assert.DoesNotContain("gone", plan.Ruleset, StringComparison.Ordinal);
        Assert.DoesNotContain("#5", plan.Ruleset, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_RuleChanged_TableShapeDiffers()
    {
        Network[] networks = [Pub1, Priv1];
        var https = RouterPlanner.Plan(Fixtures.Router(), networks, Instances, [new RouterRule(1, "pub1", "priv1", "tcp", 443, DateTimeOffset.UnixEpoch)]);
        var other = RouterPlanner.Plan(Fixtures.Router(), networks, Instances, [new RouterRule(2, "pub1", "priv1", "tcp", 8443, DateTimeOffset.UnixEpoch)]);
        var none = RouterPlanner.Plan(Fixtures.Router(), networks, Instances);

        var shape = RouterStateParser.ParseRuleset(https.Ruleset);
        Assert.False(shape.SameAs(RouterStateParser.ParseRuleset(other.Ruleset)), "a rule replaced by another of the same count");
        Assert.False(shape.SameAs(RouterStateParser.ParseRuleset(none.Ruleset)), "a rule removed");
        Assert.True(shape.SameAs(RouterStateParser.ParseRuleset(https.Ruleset)));
    }

    /// <summary>The plan as a text the golden files hold.</summary>
    internal static string Describe(DesiredRouter plan)
    {
        var text = new StringBuilder();
        text.Append("# router ").Append(plan.Router).Append(": trunk ").Append(plan.Trunk).Append(", uplink ").Append(plan.Uplink).Append('\n');
        if (plan.TrunkUp)
        {
            text.Append("link ").Append(plan.Trunk).Append(" up (trunk)\n");
        }

        foreach (var n in plan.Networks)
        {
            text.Append("link ").Append(n.Interface).Append(" vlan ").Append(n.Vlan).Append(' ').Append(n.Address)
                .Append(" network ").Append(n.Network).Append(" (").Append(n.Kind.ToWire()).Append(") sources ")
                .AppendJoin(',', n.Sources).Append('\n');
            foreach (var a in n.Allows)
            {
                text.Append("  ").Append(a.Comment).Append('\n');
            }
        }

        foreach (var (key, value) in plan.Sysctls)
        {
            text.Append("sysctl ").Append(key).Append('=').Append(value).Append('\n');
        }

        return text.Append("# fabric.nft\n").Append(plan.Ruleset).ToString();
    }
}
