using Fabric.Core;
using Fabric.Dhcp.Netboot;
using Fabric.Dhcp.Protocol;

namespace Fabric.Dhcp.Tests.Netboot;

public class NetbootRulesTests
{
    private static readonly MacAddress Mac = MacAddress.Parse("52:54:00:aa:bb:cc");

    private static DhcpOptions Opts(string? vendor, ushort? arch, string? userClass = null, bool opt175 = false)
    {
        var b = new DhcpOptionsBuilder().SetMessageType(DhcpMessageType.Discover);
        if (vendor is not null)
        {
            b.SetString(DhcpOptionCode.VendorClassIdentifier, vendor);
        }

        if (arch is { } a)
        {
            b.SetUInt16(DhcpOptionCode.ClientArchitecture, a);
        }

        if (userClass is not null)
        {
            b.SetString(DhcpOptionCode.UserClass, userClass);
        }

        if (opt175)
        {
            b.Set(DhcpOptionCode.IpxeEncapsulated, [177, 5, 1, 0, 0, 0, 1]);
        }

        return b.Build();
    }

    // RFC 4578 2.1 (option 93), RFC 3004 (user class), PXE 2.1 / UEFI 2.x (vendor class echo).
    public static TheoryData<string?, ushort?, string?, bool, BootClientKind, string?, string?, bool> Table() => new()
    {
        { "PXEClient:Arch:00000:UNDI:002001", 0, null, false, BootClientKind.Pxe, "undionly.kpxe", "PXEClient", true },
        { "PXEClient:Arch:00007:UNDI:003016", 7, null, false, BootClientKind.Pxe, "ipxe.efi", "PXEClient", true },
        { "PXEClient:Arch:00009:UNDI:003016", 9, null, false, BootClientKind.Pxe, "ipxe.efi", "PXEClient", true },
        { "PXEClient", null, null, false, BootClientKind.Pxe, "undionly.kpxe", "PXEClient", true },
        { null, 0, null, false, BootClientKind.Pxe, "undionly.kpxe", null, true },
        { "PXEClient:Arch:00006:UNDI:003016", 6, null, false, BootClientKind.Pxe, null, null, false },
        { "HTTPClient:Arch:00016:UNDI:003001", 16, null, false, BootClientKind.HttpBoot, "http://fabric:8080/boot/files/ipxe.efi", "HTTPClient", false },
        { "HTTPClient:Arch:00019:UNDI:003001", 19, null, false, BootClientKind.HttpBoot, "http://fabric:8080/boot/files/ipxe.efi", "HTTPClient", false },
        { "PXEClient:Arch:00000:UNDI:002001", 0, "iPXE", false, BootClientKind.Ipxe, "http://fabric:8080/boot/52:54:00:aa:bb:cc.ipxe", "PXEClient", false },
        { null, 7, null, true, BootClientKind.Ipxe, "http://fabric:8080/boot/52:54:00:aa:bb:cc.ipxe", null, false },
        { null, null, null, false, BootClientKind.Plain, null, null, false },
        { "udhcp 1.36.1", null, null, false, BootClientKind.Plain, null, null, false },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Decide_Table(string? vendor, ushort? arch, string? userClass, bool opt175, BootClientKind kind, string? file, string? echo, bool tftp)
    {
        var d = NetbootRules.Decide(Opts(vendor, arch, userClass, opt175), Mac, "http://fabric:8080/", new BootFileNames());
        Assert.Equal(kind, d.Kind);
        Assert.Equal(file, d.FileName);
        Assert.Equal(echo, d.VendorClass);
        Assert.Equal(tftp, d.UseNextServer);
    }

    [Fact]
    public void Decide_ConfiguredBootFiles_Used()
    {
        var files = new BootFileNames { Bios = "custom.kpxe", Uefi64 = "snponly.efi" };
        Assert.Equal("custom.kpxe", NetbootRules.Decide(Opts("PXEClient", 0), Mac, "http://x", files).FileName);
        Assert.Equal("snponly.efi", NetbootRules.Decide(Opts("PXEClient", 7), Mac, "http://x", files).FileName);
    }

    [Fact]
    public void IsIpxe_Rfc3004EncodedUserClass_Detected()
    {
        var o = new DhcpOptionsBuilder().Set(DhcpOptionCode.UserClass, [4, (byte)'i', (byte)'P', (byte)'X', (byte)'E']).Build();
        Assert.True(NetbootRules.IsIpxe(o));
    }

    [Theory]
    [InlineData("node-1", "node-1")]
    [InlineData("Node1.Example", "node1.example")]
    [InlineData("a\0b", null)]
    [InlineData("a;b", null)]
    [InlineData("$(x)", null)]
    [InlineData("{{x}}", null)]
    [InlineData("a b", null)]
    [InlineData("-a", null)]
    public void SanitizeHostName_Table(string input, string? expected)
    {
        Assert.Equal(expected, NetbootRules.SanitizeHostName(input));
    }

    [Fact]
    public void SanitizeHostName_Label64_Rejected()
    {
        Assert.Null(NetbootRules.SanitizeHostName(new string('a', 64)));
        Assert.Equal(new string('a', 63), NetbootRules.SanitizeHostName(new string('a', 63)));
    }
}
