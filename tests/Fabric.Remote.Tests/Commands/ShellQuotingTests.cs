using Fabric.Remote.Commands;
using Fabric.Remote.Tests.Ssh;

namespace Fabric.Remote.Tests.Commands;

public sealed class ShellQuotingTests
{
    public static TheoryData<string, string> Words => new()
    {
        { "mdadm", "mdadm" },
        { "/srv/fabric/volumes/hnode01.img", "/srv/fabric/volumes/hnode01.img" },
        { "--size=256M", "--size=256M" },
        { "", "''" },
        { "two words", "'two words'" },
        { "a'b", "'a'\\''b'" },
        { "'", "''\\'''" },
        { "a'; touch /tmp/pwned; '", "'a'\\''; touch /tmp/pwned; '\\'''" },
        { "$(id)", "'$(id)'" },
        { "`id`", "'`id`'" },
        { "*", "'*'" },
        { "~root", "'~root'" },
        { "x\ny", "'x\ny'" },
        { "\\", "'\\'" },
        { "é", "'é'" },
    };

    [Theory]
    [MemberData(nameof(Words))]
    public void Quote_Argument_OneShellWord(string argument, string expected) =>
        Assert.Equal(expected, ShellQuoting.Quote(argument));

    [Theory]
    [MemberData(nameof(Words))]
    public async Task Quote_Argument_ShReadsItBackUnchanged(string argument, string quoted)
    {
        var output = await OpenSshServer.RunAsync("/bin/sh", "-c", "printf '[%s]' " + quoted + " end");

        Assert.Equal($"[{argument}][end]", output);
    }

    [Fact]
    public void Quote_Nul_Refused() =>
        Assert.Throws<ArgumentException>(() => ShellQuoting.Quote("a\0b"));

    [Fact]
    public void Join_Arguments_SpaceSeparatedWords() =>
        Assert.Equal("mkdir -p '/srv/fabric/my volumes'", ShellQuoting.Join(["mkdir", "-p", "/srv/fabric/my volumes"]));
}
