using Fabric.Remote.Hosts;

namespace Fabric.Remote.Tests.Hosts;

public sealed class SshTargetTests
{
    private const string Key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGQzHOcMCfK5ByrmSWHRvkmDrXTEkJ3WqIHsYIOxEnTe";

    [Fact]
    public void Validate_GoodTarget_NoProblems()
    {
        var target = new SshTarget("10.0.0.5", 22, "root", Key);

        Assert.Empty(target.Validate());
        Assert.Equal("root@10.0.0.5:22", target.ToString());
        Assert.Equal("[fd00::5]:2222", (target with { Host = "fd00::5", Port = 2222 }).Address);
    }

    [Fact]
    public void Validate_EverythingWrong_EveryProblemNamed()
    {
        var problems = new SshTarget(" ", 0, "-oProxyCommand=x", "ssh-ed25519 ???").Validate();

        Assert.Equal(4, problems.Count);
        Assert.StartsWith("host:", problems[0], StringComparison.Ordinal);
        Assert.StartsWith("port:", problems[1], StringComparison.Ordinal);
        Assert.StartsWith("user:", problems[2], StringComparison.Ordinal);
        Assert.StartsWith("hostKey:", problems[3], StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NoPinnedKey_RefusedAsNoTrustOnFirstUse()
    {
        var problem = Assert.Single(new SshTarget("10.0.0.5", 22, "root", null).Validate());

        Assert.Equal("hostKey: no host key is pinned; Fabric does not trust a host key on first use", problem);
    }
}
