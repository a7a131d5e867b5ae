using Fabric.Router.State;

namespace Fabric.Router.Tests.State;

/// <summary>The parsers against output captured on this machine in a test-made namespace (Captured/: <c>ip -d -j link
/// show</c>, <c>ip -j addr show</c>, <c>nft -j list table inet fabric</c> after loading a fabric.nft, and the sysctl
/// read). This kernel has no 802.1Q devices, so <c>ip-link-vlan.json</c> and <c>ip-addr-vlan.json</c> are the captured
/// files with three VLAN devices added by hand in iproute2's documented form (<c>"link": "eth1"</c>,
/// <c>"linkinfo": {"info_kind": "vlan", "info_data": {"protocol": "802.1Q", "id": N}}</c>, the addresses' objects copied
/// from a captured interface).</summary>
public sealed class RouterStateParserTests
{
    [Fact]
    public void ParseLinks_CapturedVethPairs_NamesParentsKindsAndAlias()
    {
        var links = RouterStateParser.ParseLinks(Fixtures.Captured("ip-link.json"));

        Assert.Equal(["eth1", "eth2", "lo", "peer1", "peer2"], links.Keys);
        var eth1 = links["eth1"];
        Assert.Equal("veth", eth1.Kind);
        Assert.Equal("peer1", eth1.Parent);
        Assert.Null(eth1.VlanId);
        Assert.Equal("fabric:trunk-test", eth1.Alias);
        Assert.True(links["lo"].Up);
        Assert.False(links["peer1"].Up);
        Assert.Null(links["lo"].Kind);
    }

    [Fact]
    public void ParseLinks_VlanDevices_IdParentUpAndFabricMark()
    {
        var links = RouterStateParser.ParseLinks(Fixtures.Captured("ip-link-vlan.json"));

        Assert.Equal(new LinkState("eth1.100", "eth1", "vlan", 100, true, "fabric:pub1"), links["eth1.100"]);
        Assert.Equal(new LinkState("eth1.300", "eth1", "vlan", 300, false, "fabric:old"), links["eth1.300"]);
        Assert.False(links["eth1.50"].MadeByFabric);
        Assert.True(links["eth1.300"].MadeByFabric);
    }

    [Fact]
    public void ParseAddresses_Captured_Ipv4OnlyWithPrefix()
    {
        var addresses = RouterStateParser.ParseAddresses(Fixtures.Captured("ip-addr.json"));

        Assert.Equal(["127.0.0.1/8"], addresses["lo"]);
        Assert.Equal(["192.0.2.2/24"], addresses["eth2"]);
        Assert.Empty(addresses["eth1"]);
    }

    [Fact]
    public void ParseAddresses_VlanSample_EveryAddressOfTheSubInterface()
    {
        var addresses = RouterStateParser.ParseAddresses(Fixtures.Captured("ip-addr-vlan.json"));

        Assert.Equal(["203.0.113.1/24", "203.0.113.254/24"], addresses["eth1.100"]);
        Assert.Empty(addresses["eth1.50"]);
    }

    [Fact]
    public void ParseSysctls_Captured_MissingKeyReadsEmpty()
    {
        var values = RouterStateParser.ParseSysctls(Fixtures.Captured("sysctl.txt"));

        Assert.Equal("0", values["net.ipv4.ip_forward"]);
        Assert.Equal("", values["net.ipv4.conf.eth1/100.proxy_arp"]);
        Assert.Equal("0", values["net.ipv4.conf.eth2.proxy_arp"]);
    }

    [Fact]
    public void ParseNftJson_CapturedTable_SetsElementsAndChainRuleCounts()
    {
        var table = RouterStateParser.ParseNftJson(Fixtures.Captured("nft-table.json"));

        Assert.Equal(["203.0.113.10", "203.0.113.11"], table.Sets["vlan100_sources"]);
        Assert.Empty(table.Sets["vlan200_sources"]);
        Assert.Equal("forward/accept:4", table.Chains["forward"]);
        Assert.Equal("4", table.Chains["from_vlan100"]);
        Assert.Equal("2", table.Chains["to_vlan200"]);
        Assert.Equal(5, table.Chains.Count);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"tables\": []}")]
    public void ParseNftJson_Malformed_FormatExceptionNamingNft(string json)
    {
        var e = Assert.Throws<FormatException>(() => RouterStateParser.ParseNftJson(json));
        Assert.StartsWith("nft -j", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("[{\"flags\": []}]")]
    public void ParseLinks_Malformed_FormatExceptionNamingIp(string json)
    {
        var e = Assert.Throws<FormatException>(() => RouterStateParser.ParseLinks(json));
        Assert.StartsWith("ip -j link", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseSysctls_LineWithoutEquals_FormatException()
    {
        Assert.Throws<FormatException>(() => RouterStateParser.ParseSysctls("net.ipv4.ip_forward\n"));
    }
}
