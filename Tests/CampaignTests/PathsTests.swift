import Testing
@testable import Workspace

@Suite("Path arithmetic")
struct PathsTests {
    @Test(arguments: [
        ("/a/b/c.yaml", "/a/b/c.yaml"), ("/a/./b", "/a/b"), ("/a/../b", "/b"), ("/a//b/", "/a/b"), ("/a/.hidden/x", "/a/.hidden/x"),
        ("/a/.../x", "/a/.../x"), ("/a/b.", "/a/b."), ("/a/..", "/"), ("/", "/"), ("/a/.", "/a"),
    ])
    func absolutePathsAreNormalized(input: String, expected: String) {
        #expect(Paths.absolute(input) == expected)
    }

    @Test func relativePathsJoinTheCurrentDirectory() {
        #expect(Paths.absolute("x/y.yaml") == Paths.currentDirectory + "/x/y.yaml")
        #expect(Paths.absolute("./x/../y") == Paths.currentDirectory + "/y")
        #expect(Paths.parent("a/b.yaml") == "a")
        #expect(Paths.parent("b.yaml") == ".")
        #expect(Paths.lastComponent("a/b.yaml") == "b.yaml")
    }
}
