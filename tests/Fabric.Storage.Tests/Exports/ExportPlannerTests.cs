using System.Runtime.CompilerServices;
using System.Text;
using Fabric.Core;
using Fabric.Storage.Exports;
using static Fabric.Storage.Tests.Fixtures;

namespace Fabric.Storage.Tests.Exports;

/// <summary>The planner against fixture registries and fixture node states, compared whole with files in <c>Golden/</c>.
/// <c>FABRIC_UPDATE_GOLDEN=1</c> rewrites them (review the diff).</summary>
public sealed class ExportPlannerTests
{
    private static readonly Node S1 = StorageNode("s1", "p1", 1, Volume("root-h1", 1), Volume("root-h2", 2), Volume("data 'x'", 3, "/srv/pool a"))
        with
    { Storage = new StorageSpec("p1", 1, [Volume("root-h1", 1), Volume("root-h2", 2), Volume("data 'x'", 3, "/srv/pool a")], [], null, "veth-s1") };

    /// <summary>What the list script prints on the node: e1.1 runs as wanted, e1.2 died, e1.3 runs another file, e1.9 is left
    /// over from a removed volume, and e1.8 is a stale pid file of one.</summary>
    private const string Listed =
        "e1.1\t4101\talive\t/usr/sbin/vblade\t1\t1\tveth-s1\t/srv/fabric/volumes/root-h1.img\t\n" +
        "e1.2\t4102\tdead\t\n" +
        "e1.3\t4103\talive\tvblade\t1\t3\tveth-s1\t/srv/old/data.img\t\n" +
        "e1.8\t4108\tdead\t\n" +
        "e1.9\t4109\talive\tvblade\t1\t9\tveth-s1\t/srv/fabric/volumes/gone.img\t\n";

    [Fact]
    public void Plan_MixedNodeState_MatchesGolden()
    {
        var plan = ExportPlanner.Plan(ExportPlanner.Desired(S1), ExportScripts.ParseList(Listed));

        AssertGolden("mixed.txt", Render(plan));
    }

    [Fact]
    public void Plan_NothingRunning_StartsEveryVolumeMatchesGolden()
    {
        var plan = ExportPlanner.Plan(ExportPlanner.Desired(S1), []);

        AssertGolden("nothing-running.txt", Render(plan));
    }

    [Fact]
    public void Plan_RunningAsWanted_Empty()
    {
        var listed = string.Concat(ExportPlanner.Desired(S1).Select(d =>
            $"{d.Target}\t1{d.Target.Slot}\talive\tvblade\t{d.Target.Shelf}\t{d.Target.Slot}\t{d.Interface}\t{d.File}\t\n"));

        Assert.Empty(ExportPlanner.Plan(ExportPlanner.Desired(S1), ExportScripts.ParseList(listed)));
    }

    [Fact]
    public void Desired_RetiredOrNoShelf_Nothing()
    {
        Assert.Empty(ExportPlanner.Desired(S1 with { State = NodeState.Retired }));
        Assert.Empty(ExportPlanner.Desired(StorageNode("s3", "p1", null, Volume("v", 1))));
    }

    [Fact]
    public void ParseList_LivePidThatIsNotVblade_Dead()
    {
        var found = Assert.Single(ExportScripts.ParseList("e2.5\t77\talive\tsleep\t100\t\n"));

        Assert.False(found.Alive);
        Assert.Equal(new AoeTarget(2, 5), found.Target);
    }

    private static string Render(IReadOnlyList<ExportAction> plan)
    {
        var text = new StringBuilder();
        foreach (var action in plan)
        {
            text.Append(action).Append('\n');
            foreach (var command in action.Commands)
            {
                // The script is a constant (tested on its own); the values it gets are what differs between plans.
                text.Append("  $ sh -c ").Append(ScriptName(command.Arguments[2])).Append(" sh ")
                    .Append(Remote.Commands.ShellQuoting.Join(command.Arguments.Skip(4))).Append('\n');
            }
        }

        return text.ToString();
    }

    private static string ScriptName(string script) =>
        script == ExportScripts.Start ? "START" : script == ExportScripts.Stop ? "STOP" : throw new InvalidOperationException("unknown script");

    private static void AssertGolden(string name, string actual, [CallerFilePath] string source = "")
    {
        var path = Path.Combine(Path.GetDirectoryName(source)!, "Golden", name);
        if (Environment.GetEnvironmentVariable("FABRIC_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, actual);
        }

        Assert.True(File.Exists(path), $"no golden file {path}; run with FABRIC_UPDATE_GOLDEN=1 and review it");
        Assert.Equal(File.ReadAllText(path), actual);
    }
}
