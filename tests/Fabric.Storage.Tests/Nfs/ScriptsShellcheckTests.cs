using System.Diagnostics;
using Fabric.Storage.Nfs;
using Fabric.Storage.Repair;

namespace Fabric.Storage.Tests.Nfs;

/// <summary>The ganesha supervisor and the md repair's revalidate script pass <c>shellcheck -s sh</c>, like the export scripts.</summary>
public sealed class ScriptsShellcheckTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fabric-shellcheck-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("status")]
    [InlineData("start")]
    [InlineData("reload")]
    [InlineData("stop")]
    [InlineData("revalidate")]
    [InlineData("nfs-root-extract")]
    [InlineData("nfs-root-remove")]
    public void Script_Shellcheck_NoFindings(string name)
    {
        var script = name switch
        {
            "status" => GaneshaScripts.Status,
            "start" => GaneshaScripts.Start,
            "reload" => GaneshaScripts.Reload,
            "stop" => GaneshaScripts.Stop,
            "nfs-root-extract" => NfsRootScripts.Extract,
            "nfs-root-remove" => NfsRootScripts.Remove,
            _ => MdRepairScripts.Revalidate,
        };
        var path = Path.Combine(_dir, $"{name}.sh");
        File.WriteAllText(path, "#!/bin/sh\n" + script + "\n");

        using var process = Process.Start(new ProcessStartInfo("shellcheck", ["-s", "sh", path]) { RedirectStandardOutput = true })!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();

        Assert.True(process.ExitCode == 0, output);
    }
}
