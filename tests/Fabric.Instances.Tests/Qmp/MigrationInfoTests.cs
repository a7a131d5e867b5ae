using System.Text.Json;
using Fabric.Instances.Qmp;

namespace Fabric.Instances.Tests.Qmp;

public sealed class MigrationInfoTests
{
    private static MigrationInfo Read(string json)
    {
        using var document = JsonDocument.Parse(json);
        Assert.True(MigrationInfo.TryRead(document.RootElement, out var info, out var problem), problem);
        return info!;
    }

    [Fact]
    public void TryRead_Active_ProgressAndExpectedDowntime()
    {
        var info = Read("""{"status": "active", "expected-downtime": 41, "total-time": 1200, "ram": {"transferred": 104857600, "remaining": 52428800, "total": 268435456}}""");

        Assert.Equal(new MigrationInfo("active", 104857600, 52428800, 268435456, 41, 1200, null, null), info);
        Assert.False(info.Finished);
    }

    [Fact]
    public void TryRead_Completed_TotalTimeAndDowntime()
    {
        var info = Read("""{"status": "completed", "total-time": 2350, "downtime": 17, "ram": {"transferred": 280000000, "remaining": 0, "total": 268435456}}""");

        Assert.True(info.Finished);
        Assert.True(info.Succeeded);
        Assert.Equal((2350L, 17L), (info.TotalTimeMs!.Value, info.DowntimeMs!.Value));
    }

    [Fact]
    public void TryRead_Failed_KeepsTheErrorDescription()
    {
        var info = Read("""{"status": "failed", "error-desc": "Unable to write to socket: Connection reset by peer"}""");

        Assert.True(info.Finished);
        Assert.False(info.Succeeded);
        Assert.Equal("Unable to write to socket: Connection reset by peer", info.Error);
    }

    [Fact]
    public void TryRead_EmptyObject_StatusNone()
    {
        Assert.Equal("none", Read("{}").Status);
    }

    [Fact]
    public void TryRead_NotAnObject_FalseWithAReason()
    {
        using var document = JsonDocument.Parse("[]");

        Assert.False(MigrationInfo.TryRead(document.RootElement, out _, out var problem));
        Assert.Equal("query-migrate returned no object", problem);
    }
}
