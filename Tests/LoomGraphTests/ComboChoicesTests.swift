import LoomGraph
import Testing

private struct StubCatalog: FileCatalog {
    func files(in folder: String) -> [String] { folder == "input" ? ["a.png", "b.png"] : [] }
    func searchedLocations(for folder: String) -> [String] { ["/data/\(folder)"] }
}

@Suite struct ComboChoicesTests {
    @Test func fileChoicesComeFromTheCatalog() {
        let choices = ComboChoices.files(folder: "input")
        #expect(choices.choices(in: StubCatalog()) == ["a.png", "b.png"])
        #expect(choices.choices(in: nil) == [])
        #expect(choices.staticChoices == [])
    }

    @Test func catalogIsFoundAsAnExistentialResource() {
        let resources = Resources()
        resources.set(StubCatalog() as any FileCatalog)
        #expect(resources.get((any FileCatalog).self)?.files(in: "input") == ["a.png", "b.png"])
    }
}
