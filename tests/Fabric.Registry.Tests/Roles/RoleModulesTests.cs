using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Registry.Roles;

namespace Fabric.Registry.Tests.Roles;

public sealed class RoleModulesTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly IRegistry _registry;

    public RoleModulesTests() => _registry = FabricRegistry.Open(_dir.Database);

    public void Dispose()
    {
        _registry.Dispose();
        _dir.Dispose();
    }

    internal const string HostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOqlDtcScx3TBXl3oaum63sKOEpeBAX7UfklRfGs6x9l";

    /// <summary>The fields every role has (how Fabric reaches the node over SSH).</summary>
    private static readonly string[] Common = ["sshAddress", "sshPort", "sshUser", "sshHostKey"];

    /// <summary>Which role has which field, written out on its own.</summary>
    private static readonly Dictionary<NodeRole, string[]> Expected = new()
    {
        [NodeRole.Hardware] = ["cpuCores", "memoryMiB", "root", .. Common],
        [NodeRole.Storage] = ["pair", "aoeShelf", "volumes", "nfsExports", "storagePath", "aoeInterface", "imagePath", .. Common],
        [NodeRole.Instance] = ["memoryMiB", "vCpus", "diskVolume", "hypervisor", "image", .. Common],
        [NodeRole.Router] = ["trunkInterface", "uplinkInterface", .. Common],
    };

    /// <summary>A valid value for each role field.</summary>
    private static NodeInput WithField(NodeInput input, string field) => field switch
    {
        "cpuCores" => input with { CpuCores = 8 },
        "memoryMiB" => input with { MemoryMiB = 2048 },
        "root" => input with { Root = "aoe-md:e0.1,e1.1" },
        "pair" => input with { Pair = "pair-a" },
        "aoeShelf" => input with { AoeShelf = 2 },
        "volumes" => input with { Volumes = [new VolumeInput("root-h1", 1, 1 << 30, "/srv/aoe/root-h1.img")] },
        "nfsExports" => input with { NfsExports = ["/srv/nfs"] },
        "vCpus" => input with { VCpus = 2 },
        "diskVolume" => input with { DiskVolume = "vm1-disk" },
        "hypervisor" => input with { Hypervisor = "h1" },
        "storagePath" => input with { StoragePath = "/srv/pool/volumes" },
        "aoeInterface" => input with { AoeInterface = "eth1" },
        "imagePath" => input with { ImagePath = "/srv/pool/images" },
        "sshAddress" => input with { SshAddress = "10.0.0.9" },
        "sshPort" => input with { SshPort = 2222 },
        "sshUser" => input with { SshUser = "fabric" },
        "sshHostKey" => input with { SshHostKey = HostKey },
        "image" => input with { Image = "debian-13" },
        "trunkInterface" => input with { TrunkInterface = "ens4" },
        "uplinkInterface" => input with { UplinkInterface = "ens5" },
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, "no sample value"),
    };

    private static NodeInput Node(string name, NodeRole role, int mac) =>
        new() { Name = name, Role = role.ToWire(), Macs = [$"52:54:00:00:0a:{mac:x2}"], MacField = "mac" };

    public static TheoryData<NodeRole, string> ForeignFields()
    {
        var data = new TheoryData<NodeRole, string>();
        foreach (var role in Enum.GetValues<NodeRole>())
        {
            foreach (var field in Expected.Values.SelectMany(f => f).Distinct().Where(f => !Expected[role].Contains(f)))
            {
                data.Add(role, field);
            }
        }

        return data;
    }

    [Fact]
    public void Fields_EveryModule_TheRolesOwnFieldsOnly()
    {
        Assert.All(Enum.GetValues<NodeRole>(), role => Assert.Equal(Expected[role], RoleModules.For(role).Fields.Select(f => f.Name)));
        string[] clearable = ["ip", "labels", "network", .. Expected.Values.SelectMany(f => f).Distinct()];
        Assert.Equal(clearable.Order(StringComparer.Ordinal), NodeInput.Clearable.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(ForeignFields))]
    public async Task AddNode_FieldOfAnotherRole_InvalidNamingTheFieldAndItsRoles(NodeRole role, string field)
    {
        var result = await _registry.AddNodeAsync(WithField(Node("n1", role, 1), field), Actor.Admin);

        var error = Assert.Single(result.Error!.Errors);
        Assert.Equal(field, error.Field);
        var owners = string.Join(" and ", Expected.Where(e => e.Value.Contains(field)).Select(e => e.Key.ToWire()));
        Assert.Equal($"only {owners} nodes have {field}", error.Reason);
        Assert.Null(_registry.FindNode("n1"));
    }

    [Theory]
    [InlineData(NodeRole.Hardware)]
    [InlineData(NodeRole.Storage)]
    [InlineData(NodeRole.Instance)]
    [InlineData(NodeRole.Router)]
    public async Task AddThenClearEveryField_EachRole_StoredReadBackAndRemoved(NodeRole role)
    {
        var input = Expected[role].Aggregate(Node("n1", role, 2), WithField);

        var added = await _registry.AddNodeAsync(input, Actor.Admin);
        Assert.True(added.Succeeded, added.Error?.ToString());
        var module = RoleModules.For(role);
        foreach (var field in module.Fields)
        {
            Assert.Equal(Text(field, field.Get(input)), Text(field, field.FromNode(added.Value)));
        }

        var cleared = await _registry.UpdateNodeAsync("n1", new NodeInput { Clear = Expected[role] }, Actor.Admin);

        Assert.True(cleared.Succeeded, cleared.Error?.ToString());
        Assert.All(module.Fields, f => Assert.Null(f.FromNode(cleared.Value)));
    }

    private static string? Text(RoleField field, object? value) => value is null ? null : field.Text(value);
}
